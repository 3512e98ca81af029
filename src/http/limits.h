/* Every input limit in one place. Each is enforced before the input is buffered or used and
 * each has a test in tests/api/limits.test.mjs. */
#ifndef GH_HTTP_LIMITS_H
#define GH_HTTP_LIMITS_H

#define GH_MAX_DRAIN_BYTES                                                                         \
    (1024 * 1024)                             /* an oversized body up to this is read and dropped  \
                                               before the 413, so the client sees the answer */
#define GH_MAX_BODY_BYTES         (64 * 1024) /* request body; larger gets 413 */
#define GH_MAX_JSON_DEPTH         8           /* nesting of objects and arrays */
#define GH_MAX_URL_BYTES          2048        /* path and query */
#define GH_MAX_QUERY_PARAMS       16
#define GH_MAX_IDS                200  /* ids in one array (role_ids, bulk ids, ...) */
#define GH_MAX_BULK_IDS           1000 /* ids in one bulk request */
#define GH_MAX_NAME               100  /* first/last name, role/group/tenant name, sso source */
#define GH_MAX_USERNAME           64
#define GH_MAX_DORMANT_DAYS       3650 /* a service provider's dormant rule, in days */
#define GH_MAX_EMAIL              254
#define GH_MAX_PHONE              16
#define GH_MAX_TIMEZONE           64
#define GH_MAX_SSO_ID             255
#define GH_MAX_LANGUAGE           2  /* en or zh */
#define GH_MAX_COUNTRY            2  /* ISO 3166-1 alpha-2 */
#define GH_MAX_ACCESS_LEVEL       16 /* access.level: platform, provider, account, sub_account */
#define GH_MAX_BULK_ACTION        16 /* bulk action: disable, enable or delete */
#define GH_MAX_KIND               32 /* a tenant's or a role's kind */
#define GH_MAX_CODE               32 /* a 6-digit TOTP code or a recovery code */
#define GH_MAX_ROLE_PERMISSIONS   64 /* permission names in one role */
#define GH_MAX_DESCRIPTION        1000
#define GH_MAX_PASSWORD_BYTES     1024  /* 256 characters of up to 4 bytes */
#define GH_MAX_QUERY_TEXT         100   /* q= search text */
#define GH_USER_COUNT_CAP         10000 /* a users list tab's count is exact up to this */
#define GH_USER_COUNT_BUDGET      50000 /* matches a filtered count reads at most */
#define GH_MAX_CURSOR             400
#define GH_MAX_LINK_TOKEN         64 /* {token} of onboarding and reset links (ours are 46) */
#define GH_PAGE_DEFAULT           50
#define GH_PAGE_MAX               200
#define GH_MAX_CONNECTIONS        1024 /* open connections in all */
#define GH_MAX_OUTBOUND_JOBS      32   /* single sign-ons talking to their provider at once */
#define GH_MAX_CONNECTIONS_PER_IP 64   /* default of --per-ip-connection-limit */
#define GH_CONNECTION_TIMEOUT_S   30   /* idle: no byte in either direction for this long */
/* Whole-request deadlines (SECURITY I10), on top of the idle timeout, which a client resets with
 * every byte it trickles. The header deadline runs from the connection's accept, or from the end
 * of the previous request on a kept-alive connection, until the blank line that ends the headers;
 * the body deadline from there until the last byte of the body. A reaper thread shuts the socket
 * down when one passes (libmicrohttpd calls us only once the headers are whole, so nothing else
 * could stop a client that sends one header line every few seconds). Defaults of
 * --header-deadline-seconds and --body-deadline-seconds; tested in tests/api/framing.test.mjs. */
#define GH_HEADER_DEADLINE_S 10
#define GH_BODY_DEADLINE_S   30
#define GH_DEADLINE_MAX_S    3600 /* the largest either flag takes */
/* The longest X-Forwarded-For chain read (all its header lines joined), right to left (I11). */
#define GH_MAX_FORWARDED_HOPS 32
/* The longest X-Request-Id taken from a trusted proxy (characters of [A-Za-z0-9._-]). */
#define GH_REQUEST_ID_MAX 64
#define GH_MAX_USER_AGENT 200 /* bytes of User-Agent kept, cut on a character boundary */
/* Per-connection pool of libmicrohttpd (request line, headers, arguments). libmicrohttpd zeroes
 * it for every request, so it is kept small; a request that does not fit is refused by
 * libmicrohttpd itself before any handler runs: 414 when the request line does not fit, 431 when
 * the headers do not. libmicrohttpd 0.9.75 builds those pages (and its 400, 413 and 505) inside
 * connection.c with no hook for the application and before any of our callbacks can run, so no
 * size of this pool can let us answer first (a longer line always exists); server.c adds the
 * security headers to them by wrapping MHD_queue_response (see mhd_queue_response there). */
#define GH_CONNECTION_MEMORY 32768
#define GH_SHUTDOWN_GRACE_S  10 /* in-flight requests get this long after SIGTERM */
/* Argon2id jobs that may wait for a worker of the hash pool (auth/hashpool.h); one more gets 429
 * at once (SECURITY I8). */
#define GH_HASH_QUEUE 64
/* Per-address sign-in throttle (auth/throttle.h), tested in tests/api/throttle.test.mjs: failed
 * sign-in steps (password or TOTP) from one client address in any minute before 429; and how
 * many addresses it remembers at once (a fixed table of about 170 bytes each). */
#define GH_SIGNIN_RATE_PER_MINUTE    20 /* default of --signin-rate-per-minute */
#define GH_SIGNIN_THROTTLE_ADDRESSES 4096
/* Principals (token or session -> user, permissions, scope) an instance keeps between requests
 * (auth/pcache.h): a fixed table of about 600 bytes a slot, touched only as slots are used. */
#define GH_PCACHE_SLOTS 4096
/* An SSO source's fields, in characters (core/core.h's GH_SSO_*_MAX are the same numbers, for
 * the CLI's path; http/h_sso.c checks at compile time that the two agree). */
#define GH_MAX_SSO_NAME          63   /* a slug: [a-z0-9][a-z0-9-]{0,62} */
#define GH_MAX_SSO_DISPLAY_NAME  100  /* "Sign in with {display_name}" */
#define GH_MAX_SSO_ISSUER        1024 /* an https URL */
#define GH_MAX_SSO_CLIENT_ID     255
#define GH_MAX_SSO_CLIENT_SECRET 512
#define GH_MAX_SSO_SCOPES        1000 /* space-separated scope names */
#define GH_MAX_SSO_CLAIM         64   /* an ID-token claim name */
#define GH_MAX_WEBHOOK_URL       2048 /* a webhook's https URL */
#define GH_MAX_WEBHOOK_EVENTS    16   /* names in a webhook's events */

/* passkeys (WebAuthn JSON fields, base64url) */
#define GH_MAX_WEBAUTHN_ID   1400 /* a credential id (WebAuthn: up to 1023 bytes) */
#define GH_MAX_WEBAUTHN_DATA 8192 /* clientDataJSON, authenticator data, attestation, sig */
#define GH_MAX_WEBAUTHN_WORD 32   /* type, authenticatorAttachment, a transport */

#endif
