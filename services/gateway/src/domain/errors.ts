// The gateway's own error reasons (services' reasons pass through unchanged).
export const VALIDATION_FAILED = 'VALIDATION_FAILED';
export const AUTHENTICATION_REQUIRED = 'AUTHENTICATION_REQUIRED';
export const SCOPE_MISSING = 'SCOPE_MISSING';
export const ROUTE_NOT_FOUND = 'ROUTE_NOT_FOUND';
export const METHOD_NOT_ALLOWED = 'METHOD_NOT_ALLOWED';
export const BODY_NOT_JSON = 'BODY_NOT_JSON';
export const BODY_TOO_LARGE = 'BODY_TOO_LARGE';
export const UPSTREAM_UNAVAILABLE = 'UPSTREAM_UNAVAILABLE';
export const INTERNAL = 'INTERNAL';
export const DEAD_LETTER_ID_INVALID = 'DEAD_LETTER_ID_INVALID';
