// Prisma CLI configuration (used by `prisma generate`, and `prisma migrate deploy` for operators
// with the native engine). The control plane itself reads POSTERN_DATABASE_URL at boot.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: '../../prisma/schema.prisma',
  migrations: { path: '../../prisma/migrations' },
  datasource: {
    url: process.env['POSTERN_DATABASE_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/postern',
  },
});
