-- DropForeignKey
ALTER TABLE "reviews" DROP CONSTRAINT "reviews_requester_id_fkey";

-- AlterTable
ALTER TABLE "reviews" ADD COLUMN     "requester_name" TEXT,
ADD COLUMN     "requester_principal_id" TEXT,
ADD COLUMN     "rule_name" TEXT,
ALTER COLUMN "requester_id" DROP NOT NULL;

-- Existing (ACCESS) reviews were all requested by Postern users: their principal is the user id.
UPDATE "reviews" SET "requester_principal_id" = "requester_id"::text WHERE "requester_principal_id" IS NULL;
ALTER TABLE "reviews" ALTER COLUMN "requester_principal_id" SET NOT NULL;

-- CreateIndex
CREATE INDEX "audit_events_session_id_seq_idx" ON "audit_events"("session_id", "seq");

-- CreateIndex
CREATE INDEX "reviews_session_id_idx" ON "reviews"("session_id");

-- AddForeignKey
ALTER TABLE "reviews" ADD CONSTRAINT "reviews_requester_id_fkey" FOREIGN KEY ("requester_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;
