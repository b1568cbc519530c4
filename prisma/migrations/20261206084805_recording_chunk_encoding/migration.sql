-- CreateEnum
CREATE TYPE "RecordingEncoding" AS ENUM ('JSONL', 'GZIP');

-- AlterTable
ALTER TABLE "recording_chunks" ADD COLUMN     "encoding" "RecordingEncoding" NOT NULL DEFAULT 'JSONL',
ADD COLUMN     "plain_bytes" INTEGER NOT NULL DEFAULT 0;

-- Chunks stored before this migration are JSON Lines: their decoded size is their size.
UPDATE "recording_chunks" SET "plain_bytes" = octet_length("data");
