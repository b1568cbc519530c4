// Prisma CLI configuration for the test schema: only `prisma generate` runs (no engine download).
import { defineConfig } from 'prisma/config';

export default defineConfig({ schema: './schema.prisma' });
