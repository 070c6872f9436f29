// Moved to support/wait.ts, shared with bench/ (bench never imports tests/).
export * from "../../support/wait.ts";
