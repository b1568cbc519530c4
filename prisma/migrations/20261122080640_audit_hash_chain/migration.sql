-- CreateIndex
CREATE UNIQUE INDEX "audit_events_prev_hash_key" ON "audit_events"("prev_hash");

-- CreateIndex
CREATE UNIQUE INDEX "audit_events_hash_key" ON "audit_events"("hash");

-- Every row written from now on must be chained. Rows written before this migration keep NULL
-- hashes and are never checked: the chain starts at the first hashed row, whose prev_hash is the
-- genesis (32 zero bytes). A trigger rather than a CHECK constraint: Prisma does not model either,
-- and its schema engine cannot read a CHECK constraint back when it diffs the migrations.
CREATE FUNCTION "audit_events_require_chain"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW."hash" IS NULL OR NEW."prev_hash" IS NULL THEN
    RAISE EXCEPTION 'audit events must be chained: hash and prev_hash are required'
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER "audit_events_require_chain" BEFORE INSERT OR UPDATE ON "audit_events"
  FOR EACH ROW EXECUTE FUNCTION "audit_events_require_chain"();
