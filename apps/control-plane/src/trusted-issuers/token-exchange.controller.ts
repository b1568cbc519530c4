import { Controller, Inject, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Logger } from '@postern/logging';
import { Public } from '../platform/auth/public.decorator.js';
import { LOGGER } from '../platform/infra/logging/nest-logger.js';
import { TokenExchangeError, TokenExchangeService } from './token-exchange.service.js';

/**
 * POST /oauth/token: RFC 8693 token exchange (form-encoded). Public: the subject token is the
 * credential. Answers are RFC 6749 §5.2 JSON errors, never a stack trace or a token.
 */
@Controller('oauth')
@Public()
export class TokenExchangeController {
  constructor(
    private readonly exchanges: TokenExchangeService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @Post('token')
  async token(@Req() request: Request, @Res() response: Response): Promise<void> {
    response.setHeader('Cache-Control', 'no-store');
    response.setHeader('Pragma', 'no-cache');
    const clientAddress = request.socket.remoteAddress ?? 'unknown';
    try {
      if (!request.is('application/x-www-form-urlencoded')) {
        throw new TokenExchangeError('invalid_request', 'the body must be application/x-www-form-urlencoded');
      }
      const body: unknown = request.body;
      const form = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
      response.status(200).json(await this.exchanges.exchange(form, clientAddress));
    } catch (error) {
      if (error instanceof TokenExchangeError) {
        this.logger.info({ error: error.error, reason: error.message, clientAddress }, 'token exchange refused');
        if (error.status === 429) response.setHeader('Retry-After', '5');
        response.status(error.status).json({ error: error.error, error_description: error.message });
        return;
      }
      this.logger.error({ err: error }, 'token exchange: unexpected error');
      response.status(500).json({ error: 'server_error', error_description: 'internal error' });
    }
  }
}
