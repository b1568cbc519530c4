-- AlterTable
ALTER TABLE "agents" ADD COLUMN     "host_keys" JSONB NOT NULL DEFAULT '[]';
