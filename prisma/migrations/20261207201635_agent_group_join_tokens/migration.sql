-- AlterTable
ALTER TABLE "agents" ADD COLUMN     "join_token_id" UUID;

-- CreateTable
CREATE TABLE "agent_group_join_tokens" (
    "id" UUID NOT NULL,
    "agent_group_id" UUID NOT NULL,
    "token_hash" BYTEA NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "max_agents" INTEGER,
    "revoked_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "agent_group_join_tokens_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "agent_group_join_tokens_agent_group_id_idx" ON "agent_group_join_tokens"("agent_group_id");

-- AddForeignKey
ALTER TABLE "agent_group_join_tokens" ADD CONSTRAINT "agent_group_join_tokens_agent_group_id_fkey" FOREIGN KEY ("agent_group_id") REFERENCES "agent_groups"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "agents" ADD CONSTRAINT "agents_join_token_id_fkey" FOREIGN KEY ("join_token_id") REFERENCES "agent_group_join_tokens"("id") ON DELETE SET NULL ON UPDATE CASCADE;
