import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'postern:public';

/** Opts a controller or handler out of authentication: health probes and the sign-in endpoints. */
export const Public = () => SetMetadata(IS_PUBLIC, true);
