/**
 * The error answers of the simulated KIS gateway and services, with the codes `docs/kis-api.md`
 * documents (§2, §3) and, where it is silent, the codes chosen here.
 *
 * @module
 */

/** The normal KIS response envelope of a failure. */
export interface KisErrorBody {
  rt_cd: string;
  msg_cd: string;
  msg1: string;
}

/** A failure answer: HTTP status plus the envelope body. */
export interface KisFailure {
  status: 200 | 404 | 500;
  body: KisErrorBody;
}

const gateway = (msg_cd: string, msg1: string): KisFailure => ({
  status: 500,
  body: { rt_cd: "1", msg_cd, msg1 },
});

/** Gateway (`EGW…`) failures: HTTP 500 with the normal envelope. */
export const GATEWAY_ERRORS = {
  rateLimited: gateway("EGW00201", "초당 거래건수를 초과하였습니다."),
  invalidToken: gateway("EGW00121", "유효하지 않은 token 입니다."),
  expiredToken: gateway("EGW00123", "기간이 만료된 token 입니다."),
  notBearer: gateway("EGW00205", "credentials_type이 유효하지 않습니다.(Bearer)"),
  invalidAppKey: gateway("EGW00103", "유효하지 않은 AppKey입니다."),
  invalidAppSecret: gateway("EGW00105", "유효하지 않은 AppSecret입니다."),
  virtualKeyOnReal: gateway("EGW02004", "실전투자 도메인은 모의투자 앱키로 호출하실 수 없습니다."),
  // the reference only documents the real-domain case; this mirrors it for the virtual domain
  realKeyOnVirtual: gateway("EGW02005", "모의투자 도메인은 실전투자 앱키로 호출하실 수 없습니다."),
  // the exact 모의투자 미지원 answer is unverified (docs/kis-api.md §3); 90000000 is what users
  // report for KIS
  virtualUnsupported: gateway("90000000", "모의투자에서는 해당업무가 제공되지 않습니다."),
  // a per-stock failure injected by the `failCodes` fault
  serviceError: gateway("EGW00002", "서버 에러가 발생하였습니다."),
} as const;

/** Business failure for a tr_id that does not belong to the path (HTTP 200, rt_cd 1). */
export function unknownService(): KisFailure {
  return { status: 200, body: { rt_cd: "1", msg_cd: "OPSQ0002", msg1: "없는 서비스 코드 입니다" } };
}

/** Business failure for a missing or invalid input field (HTTP 200, rt_cd 2), as KIS words it. */
export function inputFieldError(field: string): KisFailure {
  return {
    status: 200,
    body: { rt_cd: "2", msg_cd: "OPSQ2001", msg1: `ERROR : INPUT_FIELD_NAME ${field}` },
  };
}

/** The `{error_code, error_description}` body of OAuth failures (HTTP 403). */
export interface OAuthErrorBody {
  error_code: string;
  error_description: string;
}

/** OAuth (`/oauth2/*`) failures, all HTTP 403 with `error_code`/`error_description`. */
export const OAUTH_ERRORS = {
  throttled: {
    error_code: "EGW00133",
    error_description: "접근토큰 발급 잠시 후 다시 시도하세요(1분당 1회)",
  },
  invalidAppKey: { error_code: "EGW00103", error_description: "유효하지 않은 AppKey입니다." },
  invalidAppSecret: { error_code: "EGW00105", error_description: "유효하지 않은 AppSecret입니다." },
  invalidGrantType: {
    error_code: "EGW00205",
    error_description: "grant_type이 유효하지 않습니다.(client_credentials)",
  },
  invalidToken: { error_code: "EGW00121", error_description: "유효하지 않은 token 입니다." },
  virtualKeyOnReal: {
    error_code: "EGW02004",
    error_description: "실전투자 도메인은 모의투자 앱키로 호출하실 수 없습니다.",
  },
  realKeyOnVirtual: {
    error_code: "EGW02005",
    error_description: "모의투자 도메인은 실전투자 앱키로 호출하실 수 없습니다.",
  },
} as const satisfies Record<string, OAuthErrorBody>;
