// Moved to support/wire.ts, shared with bench/ (bench never imports tests/).
export * from "../support/wire.ts";
