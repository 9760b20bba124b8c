/**
 * The KIS transactions the client calls: path, what they are, and whether the virtual
 * (모의투자) server offers them (`docs/kis-api.md` §10).
 *
 * @module
 */

/** A quotation transaction the client knows. */
export interface KisEndpoint {
  /** The `tr_id` header value. */
  readonly trId: string;
  /** Path below the base URL. */
  readonly path: string;
  /** Korean/English name used in messages. */
  readonly title: string;
  /** Whether the virtual server offers it. */
  readonly virtual: boolean;
}

/** Every quotation transaction the client calls, by purpose. */
export const ENDPOINTS = {
  investorFlows: {
    trId: "FHKST01010900",
    path: "/uapi/domestic-stock/v1/quotations/inquire-investor",
    title: "주식현재가 투자자 / investor flows",
    virtual: true,
  },
  programTradeIntraday: {
    trId: "FHPPG04650101",
    path: "/uapi/domestic-stock/v1/quotations/program-trade-by-stock",
    title: "종목별 프로그램매매추이(체결) / intraday program trading",
    virtual: false,
  },
  programTradeDaily: {
    trId: "FHPPG04650201",
    path: "/uapi/domestic-stock/v1/quotations/program-trade-by-stock-daily",
    title: "종목별 프로그램매매추이(일별) / daily program trading",
    virtual: false,
  },
  todayMinuteBars: {
    trId: "FHKST03010200",
    path: "/uapi/domestic-stock/v1/quotations/inquire-time-itemchartprice",
    title: "주식당일분봉조회 / today's minute bars",
    virtual: true,
  },
  datedMinuteBars: {
    trId: "FHKST03010230",
    path: "/uapi/domestic-stock/v1/quotations/inquire-time-dailychartprice",
    title: "주식일별분봉조회 / minute bars of a past day",
    virtual: false,
  },
  dailyCandles: {
    trId: "FHKST03010100",
    path: "/uapi/domestic-stock/v1/quotations/inquire-daily-itemchartprice",
    title: "국내주식기간별시세(일/주/월/년) / daily candles",
    virtual: true,
  },
  marketCalendar: {
    trId: "CTCA0903R",
    path: "/uapi/domestic-stock/v1/quotations/chk-holiday",
    title: "국내휴장일조회 / market calendar",
    virtual: false,
  },
} as const satisfies Record<string, KisEndpoint>;

/** Path of token issuance (not a quotation; no `tr_id`). */
export const TOKEN_PATH = "/oauth2/tokenP";
