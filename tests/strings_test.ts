// Tests of the STRING command family (server/commands/strings.ts): every
// command and its error replies over raw RESP against an in-process server,
// compared byte for byte; expiry options with an injected clock; and a
// differential run of the same commands (plus seeded random ones) against a
// real redis-server, whose replies must be identical.

import assert from "node:assert/strict";
import {
  type Arg,
  bulk,
  fromLatin1,
  HAVE_REDIS,
  int,
  latin1,
  mulberry32,
  RawClient,
  startRedis,
  startTestServer,
  waitFor,
} from "./helpers.ts";
import type { Command, RedisObject } from "../server/mod.ts";
import {
  addLongDouble,
  formatLongDouble,
  isFiniteLongDouble,
  parseLongDouble,
} from "../server/longdouble.ts";
import { lcs } from "../server/lcs.ts";

// Lists are not part of this server: a test-only LPUSH stores a non-string
// value so that the WRONGTYPE paths can be exercised (and compared with the
// real LPUSH of redis-server, which also replies :1 on a new key).
class FakeList implements RedisObject {
  readonly type = "list";
  readonly size = 1;
  readonly encoding = "quicklist";
  clone(): RedisObject {
    return new FakeList();
  }
}
const LPUSH: Command = {
  name: "lpush",
  arity: -3,
  flags: ["write", "denyoom", "fast"],
  firstKey: 1,
  lastKey: 1,
  step: 1,
  handler: (ctx, args) => {
    ctx.db.set(latin1(args[1]), new FakeList());
    return 1;
  },
};

/** One command and its exact reply (`\r\n` included). */
type Case = readonly [args: readonly Arg[] | string, reply: string];

/** A command written as one string splits on spaces; use an array for other args. */
function argsOf(c: readonly Arg[] | string): readonly Arg[] {
  return typeof c === "string" ? c.split(" ") : c;
}

const OK = "+OK\r\n";
const NIL = "$-1\r\n";
const EMPTY = "$0\r\n\r\n";
const SYNTAX = "-ERR syntax error\r\n";
const NOT_INT = "-ERR value is not an integer or out of range\r\n";
const NOT_FLOAT = "-ERR value is not a valid float\r\n";
const WRONGTYPE = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
const arity = (name: string) => `-ERR wrong number of arguments for '${name}' command\r\n`;
const expireErr = (name: string) => `-ERR invalid expire time in '${name}' command\r\n`;
const TOO_BIG = "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n";
const BIT_OFFSET = "-ERR bit offset is not an integer or out of range\r\n";
const BIT_VALUE = "-ERR bit is not an integer or out of range\r\n";

const CASES: Record<string, readonly Case[]> = {
  "GET and SET": [
    ["SET k v", OK],
    ["GET k", bulk("v")],
    ["GET nokey", NIL],
    ["GET", arity("get")],
    ["GET a b", arity("get")],
    ["SET k", arity("set")],
    ["set K2 V2", OK],
    ["gEt K2", bulk("V2")],
    [["SET", "", ""], OK],
    [["GET", ""], EMPTY],
    [[fromLatin1("SET"), fromLatin1("bin\x00\r\n\xff"), fromLatin1("a\r\nb\x00\xfe")], OK],
    [[fromLatin1("GET"), fromLatin1("bin\x00\r\n\xff")], "$6\r\na\r\nb\x00\xfe\r\n"],
    ["LPUSH l a", int(1)],
    ["GET l", WRONGTYPE],
    ["SET l v", OK],
    ["GET l", bulk("v")],
  ],
  "SET options": [
    ["SET k v EX 0", expireErr("set")],
    ["SET k v EX -1", expireErr("set")],
    ["SET k v PX 0", expireErr("set")],
    ["SET k v EXAT 0", expireErr("set")],
    ["SET k v PXAT -5", expireErr("set")],
    ["SET k v EX abc", NOT_INT],
    ["SET k v PX 1.5", NOT_INT],
    ["SET k v EX 9223372036854775807", expireErr("set")],
    ["SET k v PX 9223372036854775807", expireErr("set")],
    ["SET k v EXAT 9223372036854775807", expireErr("set")],
    ["SET k v EX 9223372036854775", expireErr("set")],
    ["SET k v EX 922337203685477", OK],
    ["SET k v PXAT 9223372036854775807", OK],
    ["SET k v NX XX", SYNTAX],
    ["SET k v XX NX", SYNTAX],
    ["SET k v EX 10 PX 10", SYNTAX],
    ["SET k v EX 10 KEEPTTL", SYNTAX],
    ["SET k v KEEPTTL PX 100", SYNTAX],
    ["SET k v PXAT 100 EXAT 100", SYNTAX],
    ["SET k v EX", SYNTAX],
    ["SET k v foo", SYNTAX],
    ["SET k v PERSIST", SYNTAX],
    ["SET k v EX 10 EX 20", OK],
    ["SET k v ex 10 nx nx", NIL],
    ["SET k v2 KEEPTTL xx", OK],
    ["GET k", bulk("v2")],
    ["SET k v3 GET", bulk("v2")],
    ["SET k v4 GET NX", bulk("v3")],
    ["GET k", bulk("v3")],
    ["SET k v5 get xx", bulk("v3")],
    ["GET k", bulk("v5")],
    ["SET new v NX GET", NIL],
    ["GET new", bulk("v")],
    ["SET new2 v XX GET", NIL],
    ["GET new2", NIL],
    ["SET new2 v XX", NIL],
    ["SET new3 v NX", OK],
    ["SET past v EXAT 1", OK],
    ["GET past", NIL],
    ["SET past v PXAT 1000", OK],
    ["EXISTS past", int(0)],
    // options are compared as C strings: a NUL ends them
    [["SET", "k", "nul", "nx\x00zz"], NIL],
    [["SET", "k", "nul", "xx\x00"], OK],
    ["GET k", bulk("nul")],
    ["LPUSH l a", int(1)],
    ["SET l v GET", WRONGTYPE],
    ["SET l v NX GET", WRONGTYPE],
    ["SET l v XX GET", WRONGTYPE],
    ["SET l v EX 0 GET", expireErr("set")],
    ["SET l v NX", NIL],
    ["SET l v XX", OK],
    ["GET l", bulk("v")],
  ],
  "SETNX SETEX PSETEX": [
    ["SETNX k a", int(1)],
    ["SETNX k b", int(0)],
    ["GET k", bulk("a")],
    ["SETNX k", arity("setnx")],
    ["SETEX k2 0 v", expireErr("setex")],
    ["SETEX k2 -5 v", expireErr("setex")],
    ["SETEX k2 abc v", NOT_INT],
    ["SETEX k2 9223372036854775 v", expireErr("setex")],
    ["SETEX k2 100 v", OK],
    ["GET k2", bulk("v")],
    ["SETEX k2 100", arity("setex")],
    ["PSETEX k3 0 v", expireErr("psetex")],
    ["PSETEX k3 9223372036854775807 v", expireErr("psetex")],
    ["PSETEX k3 100000 v", OK],
    ["GET k3", bulk("v")],
    ["LPUSH l a", int(1)],
    ["SETNX l x", int(0)],
    ["SETEX l 10 v", OK],
    ["GET l", bulk("v")],
  ],
  "GETSET GETDEL": [
    ["GETSET k new", NIL],
    ["GETSET k new2", bulk("new")],
    ["GET k", bulk("new2")],
    ["GETSET k", arity("getset")],
    ["GETDEL k", bulk("new2")],
    ["GETDEL k", NIL],
    ["EXISTS k", int(0)],
    ["GETDEL a b", arity("getdel")],
    ["LPUSH l a", int(1)],
    ["GETSET l x", WRONGTYPE],
    ["GETDEL l", WRONGTYPE],
    ["EXISTS l", int(1)],
  ],
  "GETEX": [
    ["GETEX nokey", NIL],
    ["GETEX nokey EX 0", NIL],
    ["GETEX nokey foo", SYNTAX],
    ["SET k 10", OK],
    ["GETEX k", bulk("10")],
    ["GETEX k NX", SYNTAX],
    ["GETEX k KEEPTTL", SYNTAX],
    ["GETEX k GET", SYNTAX],
    ["GETEX k EX", SYNTAX],
    ["GETEX k EX 0", expireErr("getex")],
    ["GETEX k PX -1", expireErr("getex")],
    ["GETEX k EXAT abc", NOT_INT],
    ["GETEX k PERSIST EX 10", SYNTAX],
    ["GETEX k EX 10 PERSIST", SYNTAX],
    ["GETEX k EX 10 PX 10", SYNTAX],
    ["GETEX k EX 10 EX 20", bulk("10")],
    ["GETEX k PERSIST PERSIST", bulk("10")],
    ["GETEX k PX 100000", bulk("10")],
    ["GETEX k EXAT 1", bulk("10")],
    ["EXISTS k", int(0)],
    ["SET k v", OK],
    ["GETEX k PXAT 1", bulk("v")],
    ["EXISTS k", int(0)],
    ["GETEX", arity("getex")],
    ["LPUSH l a", int(1)],
    ["GETEX l", WRONGTYPE],
    ["GETEX l EX 0", WRONGTYPE],
    ["GETEX l EX 10 PERSIST", SYNTAX],
  ],
  "MGET MSET MSETNX": [
    ["MSET a 1 b 2", OK],
    ["LPUSH l a", int(1)],
    ["MGET a b l nokey", "*4\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n$-1\r\n"],
    ["MGET nokey", "*1\r\n$-1\r\n"],
    ["MGET", arity("mget")],
    ["MSET a", arity("mset")],
    ["MSET a 1 b", arity("mset")],
    ["MSETNX a", arity("msetnx")],
    ["MSETNX a 1 b", arity("msetnx")],
    ["MSETNX c 3 a 9", int(0)],
    ["MGET c a", "*2\r\n$-1\r\n$1\r\n1\r\n"],
    ["MSETNX c 3 d 4", int(1)],
    ["MSETNX x 1 l 2", int(0)],
    ["MSET a 1 a 2 l 3", OK],
    ["MGET a c d l", "*4\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n4\r\n$1\r\n3\r\n"],
    ["MSETNX e 1 e 2", int(1)],
    ["GET e", bulk("2")],
  ],
  "APPEND STRLEN": [
    ["APPEND k hello", int(5)],
    [["APPEND", "k", " world"], int(11)],
    ["GET k", bulk("hello world")],
    [["APPEND", "k", ""], int(11)],
    ["STRLEN k", int(11)],
    ["STRLEN nokey", int(0)],
    [["APPEND", "e", ""], int(0)],
    ["EXISTS e", int(1)],
    ["APPEND n 123", int(3)],
    ["INCR n", int(124)],
    ["APPEND n 4", int(4)],
    ["GET n", bulk("1244")],
    ["STRLEN n", int(4)],
    ["APPEND k", arity("append")],
    ["STRLEN", arity("strlen")],
    ["LPUSH l a", int(1)],
    ["APPEND l x", WRONGTYPE],
    ["STRLEN l", WRONGTYPE],
  ],
  "GETRANGE SUBSTR": [
    ["SET s Hello,World", OK],
    ["GETRANGE s 0 4", bulk("Hello")],
    ["GETRANGE s 0 -1", bulk("Hello,World")],
    ["GETRANGE s -5 -1", bulk("World")],
    ["GETRANGE s -1 -5", EMPTY],
    ["GETRANGE s 5 2", EMPTY],
    ["GETRANGE s -100 100", bulk("Hello,World")],
    ["GETRANGE s 3 -1", bulk("lo,World")],
    ["GETRANGE s 10 10", bulk("d")],
    ["GETRANGE s 11 20", EMPTY],
    ["GETRANGE s 9223372036854775807 9223372036854775807", EMPTY],
    ["GETRANGE s -9223372036854775807 -9223372036854775808", EMPTY],
    ["GETRANGE s -9223372036854775808 -9223372036854775807", bulk("H")],
    ["GETRANGE s a 1", NOT_INT],
    ["GETRANGE s 1 b", NOT_INT],
    ["GETRANGE s 1", arity("getrange")],
    ["GETRANGE nokey 0 -1", EMPTY],
    [["SET", "e", ""], OK],
    ["GETRANGE e 0 -1", EMPTY],
    ["GETRANGE e 0 0", EMPTY],
    ["SUBSTR s 1 3", bulk("ell")],
    ["LPUSH l a", int(1)],
    ["GETRANGE l 0 1", WRONGTYPE],
    ["GETRANGE l a 1", NOT_INT],
    ["SUBSTR l 0 1", WRONGTYPE],
  ],
  "SETRANGE": [
    ["SETRANGE r -1 x", "-ERR offset is out of range\r\n"],
    ["SETRANGE r abc x", NOT_INT],
    ["SETRANGE r 536870912 x", TOO_BIG],
    [["SETRANGE", "r", "536870912", ""], int(0)],
    [["SETRANGE", "r", "5", ""], int(0)],
    ["EXISTS r", int(0)],
    ["SETRANGE r 3 abc", int(6)],
    ["GET r", "$6\r\n\x00\x00\x00abc\r\n"],
    ["SET s foobar", OK],
    [["SETRANGE", "s", "1", ""], int(6)],
    [["SETRANGE", "s", "536870912", ""], int(6)],
    ["SETRANGE s 536870912 x", TOO_BIG],
    ["SETRANGE s 10 XY", int(12)],
    ["GET s", "$12\r\nfoobar\x00\x00\x00\x00XY\r\n"],
    ["SETRANGE s 0 F", int(12)],
    ["SETRANGE s 2 OOBAR...", int(12)],
    ["GET s", "$12\r\nFoOOBAR...XY\r\n"],
    ["SET n 100", OK],
    ["SETRANGE n 1 5", int(3)],
    ["INCR n", int(151)],
    ["SETRANGE s 0", arity("setrange")],
    ["LPUSH l a", int(1)],
    ["SETRANGE l 0 x", WRONGTYPE],
    [["SETRANGE", "l", "0", ""], WRONGTYPE],
    [["SETRANGE", "l", "-1", ""], "-ERR offset is out of range\r\n"],
  ],
  "INCR DECR INCRBY DECRBY": [
    ["SET k 10", OK],
    ["INCR k", int(11)],
    ["GET k", bulk("11")],
    ["DECR k", int(10)],
    ["INCRBY k 5", int(15)],
    ["DECRBY k 20", int(-5)],
    ["INCRBY k -5", int(-10)],
    ["DECRBY k -10", int(0)],
    ["INCR newc", int(1)],
    ["DECR newd", int(-1)],
    ["INCRBY newe -5", int(-5)],
    ["DECRBY newf -5", int(5)],
    ["INCRBY k abc", NOT_INT],
    ["INCRBY k 1.5", NOT_INT],
    ["DECRBY k abc", NOT_INT],
    ["DECRBY k -9223372036854775808", "-ERR decrement would overflow\r\n"],
    ["SET max 9223372036854775806", OK],
    ["INCR max", int("9223372036854775807")],
    ["INCR max", "-ERR increment or decrement would overflow\r\n"],
    ["INCRBY max -9223372036854775808", int(-1)],
    ["SET min -9223372036854775808", OK],
    ["DECR min", "-ERR increment or decrement would overflow\r\n"],
    ["INCRBY min -1", "-ERR increment or decrement would overflow\r\n"],
    ["DECRBY min 1", "-ERR increment or decrement would overflow\r\n"],
    ["INCRBY min 9223372036854775807", int(-1)],
    ["SET safe 9007199254740991", OK],
    ["INCR safe", int("9007199254740992")],
    ["INCR safe", int("9007199254740993")],
    ["GET safe", bulk("9007199254740993")],
    ["DECRBY safe 9007199254740993", int(0)],
    ["SET s abc", OK],
    ["INCR s", NOT_INT],
    [["SET", "s", " 10"], OK],
    ["INCR s", NOT_INT],
    [["SET", "s", "10 "], OK],
    ["INCR s", NOT_INT],
    ["SET s 010", OK],
    ["INCR s", NOT_INT],
    ["SET s -0", OK],
    ["DECR s", NOT_INT],
    ["SET s 12345678901234567890", OK],
    ["INCR s", NOT_INT],
    ["SET s 1.5", OK],
    ["INCR s", NOT_INT],
    [["SET", "s", ""], OK],
    ["INCR s", NOT_INT],
    ["INCR", arity("incr")],
    ["INCRBY k", arity("incrby")],
    ["DECR a b", arity("decr")],
    ["LPUSH l a", int(1)],
    ["INCR l", WRONGTYPE],
    ["INCRBY l abc", NOT_INT],
    ["INCRBY l 1", WRONGTYPE],
    ["DECRBY l 1", WRONGTYPE],
  ],
  "INCRBYFLOAT": [
    ["SET k 10", OK],
    ["INCRBYFLOAT k 0.1", bulk("10.1")],
    ["INCRBYFLOAT k 5.0e3", bulk("5010.10000000000000009")],
    ["INCRBYFLOAT f 10.5", bulk("10.5")],
    ["INCRBYFLOAT g 5.0e3", bulk("5000")],
    ["INCRBYFLOAT h 3.0", bulk("3")],
    ["INCRBYFLOAT h -3", bulk("0")],
    ["INCRBYFLOAT h -0.0", bulk("0")],
    ["INCRBYFLOAT h 1e-20", bulk("0")],
    ["INCRBYFLOAT h -1e-20", bulk("0")],
    ["INCRBYFLOAT i 0.000003814697265625", bulk("0.00000381469726562")],
    ["INCRBYFLOAT j 0.000003814697265626", bulk("0.00000381469726563")],
    ["INCRBYFLOAT x 0x1p-2", bulk("0.25")],
    ["INCRBYFLOAT x .5", bulk("0.75")],
    ["INCRBYFLOAT x 5.", bulk("5.75")],
    ["INCRBYFLOAT x +1", bulk("6.75")],
    ["INCRBYFLOAT x 1e-4940", bulk("6.75")],
    ["INCRBYFLOAT x abc", NOT_FLOAT],
    [["INCRBYFLOAT", "x", " 1"], NOT_FLOAT],
    [["INCRBYFLOAT", "x", "1 "], NOT_FLOAT],
    [["INCRBYFLOAT", "x", ""], NOT_FLOAT],
    [["INCRBYFLOAT", "x", "1\x00"], NOT_FLOAT],
    ["INCRBYFLOAT x .", NOT_FLOAT],
    ["INCRBYFLOAT x 1e", NOT_FLOAT],
    ["INCRBYFLOAT x nan", NOT_FLOAT],
    ["INCRBYFLOAT x 1e5000", NOT_FLOAT],
    ["INCRBYFLOAT x 1e-5000", NOT_FLOAT],
    ["INCRBYFLOAT x inf", "-ERR increment would produce NaN or Infinity\r\n"],
    ["INCRBYFLOAT x -Infinity", "-ERR increment would produce NaN or Infinity\r\n"],
    ["GET x", bulk("6.75")],
    ["SET big 1e4932", OK],
    ["INCRBYFLOAT big 1e4932", "-ERR increment would produce NaN or Infinity\r\n"],
    ["SET bad abc", OK],
    ["INCRBYFLOAT bad 1", NOT_FLOAT],
    ["INCRBYFLOAT bad abc", NOT_FLOAT],
    ["SET w 9223372036854775807", OK],
    ["INCRBYFLOAT w 1", bulk("9223372036854775808")],
    ["INCRBYFLOAT w 0.5", bulk("9223372036854775808")], // 64-bit significand: the .5 is a tie, to even,
    ["INCRBYFLOAT n 123456789012345678901234567890", bulk("123456789012345678899921813504")],
    ["INCRBYFLOAT n", arity("incrbyfloat")],
    ["LPUSH l a", int(1)],
    ["INCRBYFLOAT l 1", WRONGTYPE],
    ["INCRBYFLOAT l abc", WRONGTYPE],
  ],
  "SETBIT GETBIT": [
    ["SETBIT b 7 1", int(0)],
    ["SETBIT b 7 1", int(1)],
    ["SETBIT b 7 0", int(1)],
    ["SETBIT b 1 1", int(0)],
    ["GET b", bulk("@")],
    ["SETBIT b 100 1", int(0)],
    ["STRLEN b", int(13)],
    ["GETBIT b 1", int(1)],
    ["GETBIT b 100", int(1)],
    ["GETBIT b 101", int(0)],
    ["GETBIT b 1000", int(0)],
    ["GETBIT nokey 4294967295", int(0)],
    ["SETBIT b -1 1", BIT_OFFSET],
    ["SETBIT b abc 1", BIT_OFFSET],
    ["SETBIT b 4294967296 1", BIT_OFFSET],
    ["SETBIT b abc 2", BIT_OFFSET],
    ["SETBIT b 7 2", BIT_VALUE],
    ["SETBIT b 7 -1", BIT_VALUE],
    ["SETBIT b 7 abc", BIT_VALUE],
    ["SETBIT b 7 01", BIT_VALUE],
    ["GETBIT b -1", BIT_OFFSET],
    ["GETBIT nokey 4294967296", BIT_OFFSET],
    ["SET n 1", OK],
    ["GETBIT n 7", int(1)],
    ["SETBIT n 6 1", int(0)],
    ["GET n", bulk("3")],
    ["SETBIT b 1", arity("setbit")],
    ["GETBIT b", arity("getbit")],
    ["LPUSH l a", int(1)],
    ["SETBIT l 7 1", WRONGTYPE],
    ["SETBIT l 7 2", BIT_VALUE],
    ["GETBIT l 0", WRONGTYPE],
    ["GETBIT l abc", BIT_OFFSET],
  ],
  "BITCOUNT": [
    ["SET s foobar", OK],
    ["BITCOUNT s", int(26)],
    ["BITCOUNT s 0 0", int(4)],
    ["BITCOUNT s 1 1", int(6)],
    ["BITCOUNT s 1 1 byte", int(6)],
    ["BITCOUNT s 1 1 BYTE", int(6)],
    ["BITCOUNT s 5 30 bit", int(17)],
    ["BITCOUNT s 5 30 BiT", int(17)],
    ["BITCOUNT s 0 -1 bit", int(26)],
    ["BITCOUNT s 9 9 bit", int(1)],
    ["BITCOUNT s 7 8 bit", int(0)],
    ["BITCOUNT s 47 47 bit", int(0)],
    ["BITCOUNT s -3 -1", int(10)],
    ["BITCOUNT s -1 -2", int(0)],
    ["BITCOUNT s -1 -2 bit", int(0)],
    ["BITCOUNT s 3 1", int(0)],
    ["BITCOUNT s 100 200", int(0)],
    ["BITCOUNT s -9223372036854775808 -1 bit", int(26)],
    ["BITCOUNT s 0 9223372036854775807 bit", int(26)],
    ["BITCOUNT s 0", SYNTAX],
    ["BITCOUNT s a b", NOT_INT],
    ["BITCOUNT s 0 1 foo", SYNTAX],
    ["BITCOUNT s 0 -1 bit extra", SYNTAX],
    // Redis 7.0 looks the key up before parsing the range
    ["BITCOUNT nokey 0", int(0)],
    ["BITCOUNT nokey a b", int(0)],
    [["SET", "e", ""], OK],
    ["BITCOUNT e", int(0)],
    ["BITCOUNT e 0 -1 bit", int(0)],
    ["BITCOUNT", arity("bitcount")],
    ["LPUSH l a", int(1)],
    ["BITCOUNT l", WRONGTYPE],
    ["BITCOUNT l 0", WRONGTYPE],
  ],
  "LCS": [
    ["SET s1 ohmytext", OK],
    ["SET s2 mynewtext", OK],
    ["LCS s1 s2", bulk("mytext")],
    ["LCS s1 s2 LEN", int(6)],
    [
      "LCS s1 s2 IDX",
      "*4\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n" +
      "*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:6\r\n",
    ],
    [
      "LCS s1 s2 idx minmatchlen 4 withmatchlen",
      "*4\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n" +
      "$3\r\nlen\r\n:6\r\n",
    ],
    [
      "LCS s1 s2 IDX MINMATCHLEN -5 WITHMATCHLEN",
      "*4\r\n$7\r\nmatches\r\n*2\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n" +
      "*3\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n:2\r\n$3\r\nlen\r\n:6\r\n",
    ],
    ["LCS s1 s2 WITHMATCHLEN", bulk("mytext")],
    ["LCS s1 s2 LEN MINMATCHLEN 2", int(6)],
    ["LCS s1 s2 LEN IDX", "-ERR If you want both the length and indexes, please just use IDX.\r\n"],
    ["LCS s1 s2 MINMATCHLEN", SYNTAX],
    ["LCS s1 s2 MINMATCHLEN x", NOT_INT],
    ["LCS s1 s2 foo", SYNTAX],
    ["LCS nokey nokey2", EMPTY],
    ["LCS nokey nokey2 IDX", "*4\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n"],
    ["LCS s1 nokey LEN", int(0)],
    ["LCS s1", arity("lcs")],
    ["LPUSH l a", int(1)],
    ["LCS l s1", "-ERR The specified keys must contain string values\r\n"],
    ["LCS s1 l", "-ERR The specified keys must contain string values\r\n"],
    ["LCS l nokey foo", "-ERR The specified keys must contain string values\r\n"],
  ],
};

/** Runs every case of a group in order on one connection, asserting each reply. */
async function runCases(c: RawClient, cases: readonly Case[]): Promise<void> {
  for (const [command, reply] of cases) {
    const args = argsOf(command);
    assert.equal(await c.call(...args), reply, `reply to ${JSON.stringify(args)}`);
  }
}

for (const [group, cases] of Object.entries(CASES)) {
  Deno.test(`strings: ${group}: replies byte for byte`, async () => {
    await using srv = await startTestServer({ commands: [LPUSH] });
    await using c = await RawClient.connect(srv.port);
    await runCases(c, cases);
  });
}

Deno.test("strings: expiry options with an injected clock", async () => {
  let now = 1_700_000_000_000;
  await using srv = await startTestServer({
    commands: [LPUSH],
    clock: () => now,
    sweepIntervalMs: 0,
  });
  await using c = await RawClient.connect(srv.port);
  const db = srv.server.db;
  const ttl = (key: string) => db.get(key)?.expiresAt;

  assert.equal(await c.call("SET", "k", "v", "EX", "10"), OK);
  assert.equal(ttl("k"), now + 10_000);
  assert.equal(await c.call("SET", "k", "v", "PX", "1500"), OK);
  assert.equal(ttl("k"), now + 1500);
  assert.equal(await c.call("SET", "k", "v", "EXAT", "2000000000"), OK);
  assert.equal(ttl("k"), 2_000_000_000_000);
  assert.equal(await c.call("SET", "k", "v", "PXAT", "2000000000123"), OK);
  assert.equal(ttl("k"), 2_000_000_000_123);
  assert.equal(await c.call("SET", "k", "v2", "KEEPTTL"), OK);
  assert.equal(ttl("k"), 2_000_000_000_123);
  assert.equal(await c.call("SET", "k", "v3"), OK);
  assert.equal(ttl("k"), 0, "a plain SET removes the TTL");

  assert.equal(await c.call("SETEX", "k", "5", "v"), OK);
  assert.equal(ttl("k"), now + 5000);
  assert.equal(await c.call("PSETEX", "k", "5", "v"), OK);
  assert.equal(ttl("k"), now + 5);

  assert.equal(await c.call("GETEX", "k", "EX", "7"), bulk("v"));
  assert.equal(ttl("k"), now + 7000);
  assert.equal(await c.call("GETEX", "k"), bulk("v"));
  assert.equal(ttl("k"), now + 7000, "GETEX without options keeps the TTL");
  assert.equal(await c.call("GETEX", "k", "PXAT", "2000000000000"), bulk("v"));
  assert.equal(ttl("k"), 2_000_000_000_000);
  assert.equal(await c.call("GETEX", "k", "PERSIST"), bulk("v"));
  assert.equal(ttl("k"), 0);
  assert.equal(await c.call("GETEX", "k", "PXAT", String(now)), bulk("v"));
  assert.equal(db.has("k"), false, "GETEX PXAT now deletes the key at once");

  // commands that modify a value keep its TTL
  const keep: [Arg[], string][] = [
    [["INCR", "t"], int(2)],
    [["DECR", "t"], int(0)],
    [["INCRBY", "t", "5"], int(6)],
    [["DECRBY", "t", "1"], int(0)],
    [["INCRBYFLOAT", "t", "0.5"], bulk("1.5")],
    [["APPEND", "t", "1"], int(2)],
    [["SETRANGE", "t", "0", "9"], int(1)],
    [["SETBIT", "t", "0", "1"], int(0)],
  ];
  for (const [args, reply] of keep) {
    assert.equal(await c.call("SET", "t", "1", "EX", "100"), OK);
    assert.equal(await c.call(...args), reply, args.join(" "));
    assert.equal(ttl("t"), now + 100_000, `${args[0]} keeps the TTL`);
  }
  // and commands that replace it drop the TTL
  const drop: [Arg[], string][] = [
    [["SET", "t", "x"], OK],
    [["GETSET", "t", "x"], bulk("1")],
    [["MSET", "t", "x"], OK],
    [["SET", "t", "x", "GET"], bulk("1")],
  ];
  for (const [args, reply] of drop) {
    assert.equal(await c.call("SET", "t", "1", "EX", "100"), OK);
    assert.equal(await c.call(...args), reply, args.join(" "));
    assert.equal(ttl("t"), 0, `${args.join(" ")} removes the TTL`);
  }
  assert.equal(await c.call("SETNX", "n", "x"), int(1));
  assert.equal(ttl("n"), 0);

  // a key lives until its expiry time has passed (Redis: now > when)
  assert.equal(await c.call("SET", "e", "v", "PX", "50"), OK);
  now += 50;
  assert.equal(await c.call("GET", "e"), bulk("v"));
  now += 1;
  assert.equal(await c.call("GET", "e"), NIL);
  assert.equal(await c.call("SETNX", "e", "w"), int(1), "an expired key counts as missing");
  assert.equal(await c.call("SET", "e2", "v", "EX", "1"), OK);
  now += 1001;
  assert.equal(await c.call("SET", "e2", "w", "XX"), NIL);
  assert.equal(await c.call("GETSET", "e2", "w"), NIL);
});

Deno.test("strings: a key set with PX 50 disappears (real clock, bounded poll)", async () => {
  await using srv = await startTestServer();
  await using c = await RawClient.connect(srv.port);
  assert.equal(await c.call("SET", "k", "v", "PX", "50"), OK);
  await waitFor(async () => (await c.call("GET", "k")) === NIL, {
    timeoutMs: 5000,
    what: "the key to expire",
  });
});

Deno.test("strings: binary-safe keys and values of every byte", async () => {
  await using srv = await startTestServer();
  await using c = await RawClient.connect(srv.port);
  const all = new Uint8Array(256).map((_, i) => i);
  assert.equal(await c.call("SET", all, all), OK);
  assert.equal(await c.call("GET", all), `$256\r\n${latin1(all)}\r\n`);
  assert.equal(await c.call("STRLEN", all), int(256));
  assert.equal(await c.call("APPEND", all, all), int(512));
  assert.equal(await c.call("GETRANGE", all, "255", "256"), "$2\r\n\xff\x00\r\n");
  assert.equal(await c.call("BITCOUNT", all), int(2048));
  const big = new Uint8Array(1 << 20).map((_, i) => (i * 7) & 255);
  assert.equal(await c.call("SET", "big", big), OK);
  const reply = fromLatin1(await c.call("GET", "big"));
  assert.deepEqual(reply.subarray(reply.length - 2 - big.length, reply.length - 2), big);
});

Deno.test("strings: many APPENDs build the right string", async () => {
  await using srv = await startTestServer();
  await using c = await RawClient.connect(srv.port);
  const expected: string[] = [];
  const batch: Arg[][] = [];
  for (let i = 0; i < 5000; i++) {
    const piece = `<${i}>`;
    expected.push(piece);
    batch.push(["APPEND", "log", piece]);
  }
  const replies = await c.calls(batch);
  let len = 0;
  for (let i = 0; i < replies.length; i++) {
    len += expected[i].length;
    assert.equal(replies[i], int(len));
  }
  assert.equal(await c.call("GET", "log"), bulk(expected.join("")));
  // SETRANGE and SETBIT growing a string pad with zero bytes
  assert.equal(await c.call("SETRANGE", "log", String(len + 3), "x"), int(len + 4));
  assert.equal(await c.call("GETRANGE", "log", "-5", "-1"), "$5\r\n>\x00\x00\x00x\r\n");
  assert.equal(await c.call("SETBIT", "log", String((len + 10) * 8 + 7), "1"), int(0));
  assert.equal(
    await c.call("GETRANGE", "log", "-7", "-1"),
    "$7\r\n\x00\x00\x00\x00\x00\x00\x01\r\n",
  );
});

Deno.test("strings: values modified in place stay independent of copies and earlier replies", async () => {
  await using srv = await startTestServer();
  await using c = await RawClient.connect(srv.port);
  assert.equal(await c.call("SET", "a", "x"), OK);
  assert.equal(await c.call("APPEND", "a", "y"), int(2));
  assert.equal(await c.call("COPY", "a", "b"), int(1));
  // both now append: they must not share storage
  assert.deepEqual(await c.calls([["APPEND", "a", "1"], ["APPEND", "b", "2"]]), [int(3), int(3)]);
  assert.deepEqual(await c.calls([["GET", "a"], ["GET", "b"]]), [bulk("xy1"), bulk("xy2")]);
  assert.deepEqual(
    await c.calls([["SETRANGE", "a", "0", "Q"], ["SETBIT", "a", "2", "1"], ["GET", "b"]]),
    [int(3), int(0), bulk("xy2")],
  );
  // a reply already produced in the same pipeline shows the value of its time
  assert.deepEqual(
    await c.calls([
      ["GET", "b"],
      ["SETRANGE", "b", "0", "Z"],
      ["GETRANGE", "b", "0", "0"],
      ["SETBIT", "b", "2", "1"],
      ["MGET", "b", "a"],
      ["APPEND", "b", "!"],
      ["GET", "b"],
    ]),
    [
      bulk("xy2"),
      int(3),
      bulk("Z"),
      int(0),
      "*2\r\n$3\r\nzy2\r\n$3\r\nqy1\r\n",
      int(4),
      bulk("zy2!"),
    ],
  );
  // RENAME moves the value; the old name's storage is not reused
  assert.equal(await c.call("RENAME", "a", "c"), OK);
  assert.equal(await c.call("SET", "a", "fresh"), OK);
  assert.equal(await c.call("APPEND", "c", "+"), int(4));
  assert.deepEqual(await c.calls([["GET", "a"], ["GET", "c"]]), [bulk("fresh"), bulk("qy1+")]);
});

Deno.test("strings: values that share storage with other code are never written in place", async () => {
  await using srv = await startTestServer();
  await using c = await RawClient.connect(srv.port);
  // bytes stored by some other code: two keys viewing one buffer
  const shared = fromLatin1("abcdef");
  srv.server.db.set("x", shared.subarray(0, 3));
  srv.server.db.set("y", shared.subarray(3, 6));
  srv.server.db.set("z", shared.subarray(0, 3));
  assert.equal(await c.call("APPEND", "x", "Q"), int(4));
  assert.equal(await c.call("SETRANGE", "z", "0", "Z"), int(3));
  assert.equal(await c.call("SETBIT", "z", "23", "1"), int(1));
  assert.equal(await c.call("SETBIT", "z", "22", "0"), int(1));
  assert.deepEqual(await c.calls([["GET", "x"], ["GET", "y"], ["GET", "z"]]), [
    bulk("abcQ"),
    bulk("def"),
    bulk("Zba"),
  ]);
  assert.equal(latin1(shared), "abcdef");
});

Deno.test("strings: INCR stores the decimal text and keeps working from SET values", async () => {
  await using srv = await startTestServer();
  await using c = await RawClient.connect(srv.port);
  const replies = await c.calls([
    ["SET", "k", "10"],
    ["INCR", "k"],
    ["GET", "k"],
    ["INCRBY", "k", "-111"],
    ["GET", "k"],
    ["APPEND", "k", "5"],
    ["INCR", "k"],
    ["STRLEN", "k"],
  ]);
  assert.deepEqual(replies, [
    OK,
    int(11),
    bulk("11"),
    int(-100),
    bulk("-100"),
    int(5),
    int(-1004),
    int(5),
  ]);
  // 10,000 pipelined INCRs, answered in order
  const batch = Array.from({ length: 10_000 }, () => ["INCR", "counter"]);
  const out = await c.calls(batch);
  for (let i = 0; i < out.length; i++) assert.equal(out[i], int(i + 1));
});

Deno.test("strings: long double emulation (unit)", () => {
  const enc = new TextEncoder();
  const p = (s: string) => parseLongDouble(enc.encode(s));
  const fmt = (s: string) => {
    const v = p(s);
    return v === undefined ? undefined : formatLongDouble(v);
  };
  assert.equal(fmt("0.1"), "0.1");
  assert.equal(fmt("1.1"), "1.1");
  assert.equal(fmt("-2.5e-3"), "-0.0025");
  assert.equal(fmt("5.0e3"), "5000");
  assert.equal(fmt("3.0"), "3");
  assert.equal(fmt("-0.0"), "0");
  assert.equal(fmt("0X1.8P1"), "3");
  assert.equal(fmt("0.000003814697265625"), "0.00000381469726562");
  assert.equal(fmt("123456789012345678901234567890"), "123456789012345678899921813504");
  assert.equal(fmt("1e400")?.length, 401);
  for (const bad of ["", " 1", "1 ", "abc", ".", "1e", "0x", "nan", "1e5000", "1e-5000", "1\x00"]) {
    assert.equal(p(bad), undefined, JSON.stringify(bad));
  }
  const inf = p("-INFINITY")!;
  assert.equal(isFiniteLongDouble(inf), false);
  assert.equal(formatLongDouble(inf), "-inf");
  assert.equal(formatLongDouble(addLongDouble(inf, p("inf")!)), "nan");
  let v = p("10")!;
  v = addLongDouble(v, p("0.1")!);
  v = addLongDouble(v, p("5.0e3")!);
  assert.equal(formatLongDouble(v), "5010.10000000000000009");
  // the largest finite value plus itself overflows
  const max = p("1.18973149535723176502e+4932")!;
  assert.equal(isFiniteLongDouble(addLongDouble(max, max)), false);
});

Deno.test("strings: LCS helper (unit)", () => {
  const enc = new TextEncoder();
  const r = lcs(enc.encode("ohmytext"), enc.encode("mynewtext"), {
    string: true,
    ranges: true,
  });
  assert.equal(r.length, 6);
  assert.equal(new TextDecoder().decode(r.string), "mytext");
  assert.deepEqual(r.ranges, [
    { aStart: 4, aEnd: 7, bStart: 5, bEnd: 8, length: 4 },
    { aStart: 2, aEnd: 3, bStart: 0, bEnd: 1, length: 2 },
  ]);
  assert.deepEqual(lcs(new Uint8Array(0), enc.encode("abc")), { length: 0 });
});

// ---------------------------------------------------------------------------
// Differential test against a real redis-server

/** Seeded random commands for the number formatting, bit and range logic. */
function randomCommands(seed: number): Arg[][] {
  const rand = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const between = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const digits = (n: number) => Array.from({ length: n }, () => String(between(0, 9))).join("");
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => between(0, 255));
  const float = (): string => {
    const sign = pick(["", "", "-", "+"]);
    const kind = rand();
    if (kind < 0.5) {
      const d = digits(between(1, 22));
      const at = between(0, d.length);
      let s = rand() < 0.7 ? d.slice(0, at) + "." + d.slice(at) : d;
      if (rand() < 0.4) s += "e" + between(-25, 25);
      return sign + s;
    }
    if (kind < 0.7) return sign + String(between(0, 1e9)) + digits(between(0, 9));
    if (kind < 0.85) return `${sign}${between(0, 1000)}.${digits(between(1, 4))}`;
    return sign + String((rand() - 0.5) * 2e6);
  };
  const out: Arg[][] = [["FLUSHALL"]];
  for (let i = 0; i < 600; i++) {
    const key = `f${between(0, 15)}`;
    out.push(["INCRBYFLOAT", key, float()]);
    if (rand() < 0.05) out.push(["SET", key, float()]);
  }
  for (let i = 0; i < 150; i++) {
    const alpha = pick(["ab", "abc", "abcd", "xyz01", "ACGT"]);
    const str = () => Array.from({ length: between(0, 30) }, () => pick([...alpha])).join("");
    out.push(["SET", "a", str()], ["SET", "b", str()]);
    const opts = pick([
      [],
      ["LEN"],
      ["IDX"],
      ["IDX", "WITHMATCHLEN"],
      ["IDX", "MINMATCHLEN", "2"],
      ["IDX", "MINMATCHLEN", "3", "WITHMATCHLEN"],
    ]);
    out.push(["LCS", "a", "b", ...opts]);
  }
  for (let i = 0; i < 150; i++) {
    out.push(["SET", "bits", bytes(between(0, 12))]);
    const unit = pick([[], ["BIT"], ["BYTE"], ["bit"]]);
    out.push(["BITCOUNT", "bits", String(between(-120, 120)), String(between(-120, 120)), ...unit]);
    out.push(["BITCOUNT", "bits", String(between(-15, 15)), String(between(-15, 15))]);
    out.push(["GETRANGE", "bits", String(between(-15, 15)), String(between(-15, 15))]);
    out.push(["SETRANGE", "bits", String(between(0, 20)), bytes(between(0, 4))]);
    out.push(["SETBIT", "bits", String(between(0, 150)), String(between(0, 1))]);
    out.push(["GETBIT", "bits", String(between(0, 150))]);
    out.push(["APPEND", "bits", bytes(between(0, 4))]);
    out.push(["GET", "bits"], ["BITCOUNT", "bits"], ["STRLEN", "bits"]);
  }
  for (let i = 0; i < 200; i++) {
    const n = pick([
      String(between(-1000, 1000)),
      pick(["9223372036854775807", "-9223372036854775808", "9223372036854775806"]),
      String(between(-1e9, 1e9)) + digits(between(0, 9)),
    ]);
    out.push(
      pick([["SET", "n", n], ["INCRBY", "n", n], ["DECRBY", "n", n], ["INCR", "n"], ["DECR", "n"]]),
    );
  }
  return out;
}

Deno.test({
  name: "strings: identical reply bytes from a real redis-server" +
    (HAVE_REDIS ? "" : " (ignored: redis-server is not installed)"),
  ignore: !HAVE_REDIS,
  fn: async () => {
    await using srv = await startTestServer({ commands: [LPUSH] });
    await using redis = await startRedis();
    assert.ok(redis);
    await using ours = await RawClient.connect(srv.port);
    await using theirs = await RawClient.connect(redis.port);
    let checked = 0;
    // the hand-written cases: redis must give exactly the expected bytes, and so must we
    for (const [group, cases] of Object.entries(CASES)) {
      const commands = [["FLUSHALL"], ...cases.map(([command]) => [...argsOf(command)])];
      const [a, b] = await Promise.all([ours.calls(commands), theirs.calls(commands)]);
      for (let i = 0; i < commands.length; i++) {
        const what = `${group}: ${JSON.stringify(commands[i])}`;
        assert.equal(a[i], b[i], `ours differs from redis-server for ${what}`);
        if (i > 0) assert.equal(b[i], cases[i - 1][1], `redis-server contradicts the case ${what}`);
        checked++;
      }
    }
    // seeded random commands, in pipelined batches
    for (const seed of [1, 2, 3]) {
      const commands = randomCommands(seed);
      for (let start = 0; start < commands.length; start += 500) {
        const batch = commands.slice(start, start + 500);
        const [a, b] = await Promise.all([ours.calls(batch), theirs.calls(batch)]);
        for (let i = 0; i < batch.length; i++) {
          if (a[i] !== b[i]) {
            assert.equal(
              a[i],
              b[i],
              `seed ${seed}: ours differs from redis-server for ${
                JSON.stringify(batch[i].map((x) =>
                  typeof x === "string" ? x : latin1(x as Uint8Array)
                ))
              }`,
            );
          }
          checked++;
        }
      }
    }
    assert.ok(checked > 3000, `only ${checked} replies compared`);
  },
});

Deno.test("strings: the size limit follows CONFIG SET proto-max-bulk-len", async () => {
  await using srv = await startTestServer();
  await using c = await RawClient.connect(srv.port);
  assert.equal(
    await c.call("SETRANGE", "k", String(2 * 1024 * 1024), "x"),
    int(2 * 1024 * 1024 + 1),
  );
  assert.equal(await c.call("CONFIG", "SET", "proto-max-bulk-len", String(1024 * 1024)), OK);
  assert.equal(await c.call("SETRANGE", "k2", String(1024 * 1024), "x"), TOO_BIG);
  assert.equal(await c.call("APPEND", "k", "y"), TOO_BIG);
});
