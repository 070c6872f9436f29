// Moved to support/tools.ts, shared with bench/ (bench never imports tests/).
export * from "../../support/tools.ts";
