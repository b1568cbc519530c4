-- AlterTable
ALTER TABLE "connections" ADD COLUMN     "deleted_at" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "api_sessions" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "token_digest" BYTEA NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "ended_at" TIMESTAMPTZ(3),
    "end_reason" TEXT,

    CONSTRAINT "api_sessions_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "api_sessions_token_digest_key" ON "api_sessions"("token_digest");

-- CreateIndex
CREATE INDEX "api_sessions_user_id_idx" ON "api_sessions"("user_id");

-- CreateIndex
CREATE INDEX "api_sessions_expires_at_idx" ON "api_sessions"("expires_at");

-- AddForeignKey
ALTER TABLE "api_sessions" ADD CONSTRAINT "api_sessions_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
