import { Injectable } from '@nestjs/common';
import { validateClaimMappingRules, type ClaimMappingRule } from '@postern/oidc';
import { PrismaService } from '../platform/infra/prisma/prisma.service.js';
import { Prisma, type TrustedIssuer as Row } from '../generated/prisma/client.js';
import type { TrustedIssuer, TrustedIssuerSpec } from './trusted-issuers.types.js';

function toIssuer(row: Row): TrustedIssuer {
  return {
    id: row.id,
    name: row.name,
    issuer: row.issuer,
    jwksUri: row.jwksUri,
    audiences: row.audiences,
    allowedAlgorithms: row.allowedAlgorithms,
    enabled: row.enabled,
    // Validated again on the way out: a row edited by hand never maps with rules we would refuse.
    rules: validateClaimMappingRules(row.rules as unknown as ClaimMappingRule[]),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export class DuplicateTrustedIssuerError extends Error {}

@Injectable()
export class TrustedIssuersRepository {
  constructor(private readonly prisma: PrismaService) {}

  async create(spec: TrustedIssuerSpec): Promise<TrustedIssuer> {
    try {
      return toIssuer(await this.prisma.trustedIssuer.create({ data: data(spec) }));
    } catch (error) {
      throw duplicate(error);
    }
  }

  async update(id: string, spec: TrustedIssuerSpec): Promise<TrustedIssuer | null> {
    try {
      const updated = await this.prisma.trustedIssuer.updateMany({ where: { id }, data: data(spec) });
      return updated.count === 1 ? this.findById(id) : null;
    } catch (error) {
      throw duplicate(error);
    }
  }

  async delete(id: string): Promise<TrustedIssuer | null> {
    const row = await this.prisma.trustedIssuer.findUnique({ where: { id } });
    if (!row) return null;
    await this.prisma.trustedIssuer.deleteMany({ where: { id } });
    return toIssuer(row);
  }

  async findById(id: string): Promise<TrustedIssuer | null> {
    const row = await this.prisma.trustedIssuer.findUnique({ where: { id } });
    return row ? toIssuer(row) : null;
  }

  async findEnabledByIssuer(issuer: string): Promise<TrustedIssuer | null> {
    const row = await this.prisma.trustedIssuer.findFirst({ where: { issuer, enabled: true } });
    return row ? toIssuer(row) : null;
  }

  async list(): Promise<TrustedIssuer[]> {
    return (await this.prisma.trustedIssuer.findMany({ orderBy: { name: 'asc' } })).map(toIssuer);
  }
}

function data(spec: TrustedIssuerSpec) {
  return {
    name: spec.name,
    issuer: spec.issuer,
    jwksUri: spec.jwksUri,
    audiences: spec.audiences,
    allowedAlgorithms: spec.allowedAlgorithms,
    enabled: spec.enabled,
    rules: spec.rules as unknown as Prisma.InputJsonValue,
  };
}

function duplicate(error: unknown): unknown {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002'
    ? new DuplicateTrustedIssuerError()
    : error;
}
