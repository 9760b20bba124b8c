/**
 * Typed failures of the KIS client. Every message names the problem and what to do about it, and
 * none ever contains the app key, the app secret or an access token.
 *
 * @module
 */

/** Base class of every error the KIS client throws; `trId` names the transaction when known. */
export class KisError extends Error {
  /** The KIS transaction id (e.g. `FHKST01010900`), or `tokenP` for token issuance. */
  readonly trId: string;

  constructor(trId: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "KisError";
    this.trId = trId;
  }
}

/** KIS answered with `rt_cd` other than `"0"` (or a gateway error) that is not retried. */
export class KisApiError extends KisError {
  /** KIS message code, e.g. `EGW00201` or `OPSQ2001`. */
  readonly msgCd: string;
  /** KIS message text, trimmed. */
  readonly msg1: string;
  /** HTTP status of the answer. */
  readonly httpStatus: number;

  constructor(trId: string, msgCd: string, msg1: string, httpStatus: number) {
    super(trId, `KIS ${trId} failed with ${msgCd || "no code"} (HTTP ${httpStatus}): ${msg1}`);
    this.name = "KisApiError";
    this.msgCd = msgCd;
    this.msg1 = msg1;
    this.httpStatus = httpStatus;
  }
}

/** Codes meaning the credentials are wrong (bad key, bad secret, key of the other environment). */
export const CREDENTIAL_CODES: ReadonlySet<string> = new Set([
  "EGW00103",
  "EGW00105",
  "EGW02004",
  "EGW02005",
]);

/** KIS rejected the configured credentials (see {@link CREDENTIAL_CODES}); never retried. */
export class KisCredentialsError extends KisApiError {
  constructor(trId: string, msgCd: string, msg1: string, httpStatus: number) {
    super(trId, msgCd, msg1, httpStatus);
    this.name = "KisCredentialsError";
    this.message =
      `KIS ${trId} rejected the credentials with ${msgCd} (HTTP ${httpStatus}): ${msg1}. ` +
      credentialHint(msgCd);
  }
}

function credentialHint(msgCd: string): string {
  switch (msgCd) {
    case "EGW00103":
      return "Check KIS_APP_KEY: it is not a valid app key for this KIS environment.";
    case "EGW00105":
      return "Check KIS_APP_SECRET: it does not belong to KIS_APP_KEY.";
    default:
      return "The app key belongs to the other KIS environment: set KIS_ENV (and KIS_BASE_URL) " +
        "to match KIS_APP_KEY.";
  }
}

/** A response that is not what KIS documents: invalid JSON, or a field missing or mistyped. */
export class KisMalformedResponseError extends KisError {
  /** Where in the body the problem is, e.g. `output[3].frgn_ntby_qty` (`$` for the whole body). */
  readonly fieldPath: string;

  constructor(trId: string, fieldPath: string, problem: string) {
    super(
      trId,
      `KIS ${trId} returned a malformed response at ${fieldPath}: ${problem}. ` +
        "The API may have changed; compare with docs/kis-api.md.",
    );
    this.name = "KisMalformedResponseError";
    this.fieldPath = fieldPath;
  }
}

/** Retries ran out: says which transaction, how many attempts and what the last failure was. */
export class KisRetryExhaustedError extends KisError {
  /** How many attempts were made. */
  readonly attempts: number;
  /** Description of the last failure. */
  readonly lastError: string;

  constructor(trId: string, attempts: number, lastError: string, cause?: unknown) {
    super(
      trId,
      `KIS ${trId} still failing after ${attempts} attempts (retrying throttling, 5xx, network ` +
        `errors and timeouts with backoff); last error: ${lastError}`,
      { cause },
    );
    this.name = "KisRetryExhaustedError";
    this.attempts = attempts;
    this.lastError = lastError;
  }
}

/** The transaction does not exist on the virtual (모의투자) server; raised before any request. */
export class KisUnsupportedError extends KisError {
  constructor(trId: string, what: string) {
    super(
      trId,
      `KIS ${trId} (${what}) is not offered by the virtual (모의투자) server. ` +
        "Use a real app key with KIS_ENV=real to collect it.",
    );
    this.name = "KisUnsupportedError";
  }
}

/** A caller passed an argument the client cannot send (bad stock code, date, range). */
export class KisArgumentError extends KisError {
  constructor(trId: string, message: string) {
    super(trId, message);
    this.name = "KisArgumentError";
  }
}
