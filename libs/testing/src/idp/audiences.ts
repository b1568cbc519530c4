/** Audience of access tokens meant for Postern's API. */
export const POSTERN_AUDIENCE = 'urn:postern:gateway';
/**
 * Audience of access tokens used as database passwords (POSTERN_OIDC_DATA_PLANE_AUDIENCE's
 * default for the API audience above): ask for it with `resource=` at the token endpoint.
 */
export const POSTERN_DATA_PLANE_AUDIENCE = `${POSTERN_AUDIENCE}:data-plane`;
