// Moved to support/raw_client.ts, shared with bench/ (bench never imports tests/).
export * from "../../support/raw_client.ts";
