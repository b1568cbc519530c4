-- AlterTable
ALTER TABLE "sessions" ADD COLUMN     "recording_bytes" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN     "recording_chunks" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "recording_completed_at" TIMESTAMPTZ(3),
ADD COLUMN     "recording_purged_at" TIMESTAMPTZ(3),
ADD COLUMN     "recording_truncated" BOOLEAN NOT NULL DEFAULT false;

-- CreateIndex
CREATE INDEX "sessions_ended_at_idx" ON "sessions"("ended_at");
