-- AlterTable
ALTER TABLE "users" ADD COLUMN     "email_verified" BOOLEAN NOT NULL DEFAULT false;

-- Local users' e-mail addresses were entered by an administrator, who vouches for them.
UPDATE "users" SET "email_verified" = true WHERE "issuer" = 'postern:local';
