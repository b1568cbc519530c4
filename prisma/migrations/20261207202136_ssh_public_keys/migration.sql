-- CreateTable
CREATE TABLE "ssh_public_keys" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "algorithm" TEXT NOT NULL,
    "public_key" BYTEA NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "bits" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ssh_public_keys_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "ssh_public_keys_user_id_idx" ON "ssh_public_keys"("user_id");

-- CreateIndex
CREATE UNIQUE INDEX "ssh_public_keys_fingerprint_key" ON "ssh_public_keys"("fingerprint");

-- AddForeignKey
ALTER TABLE "ssh_public_keys" ADD CONSTRAINT "ssh_public_keys_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
