// Moved to support/reply.ts, shared with bench/ (bench never imports tests/).
export * from "../../support/reply.ts";
