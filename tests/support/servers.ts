// Moved to support/servers.ts, shared with bench/ (bench never imports tests/).
export * from "../../support/servers.ts";
