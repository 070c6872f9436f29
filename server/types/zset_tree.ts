/**
 * A counted B+tree of `(score, member)` pairs: the ordered half of a big
 * sorted set (Redis's skiplist), with O(log n) insert, delete, rank,
 * select-by-rank and score/lex lower bounds, and O(1) steps to the next or
 * previous element.
 *
 * Order is Redis's: by score, then by member bytes (members are binary
 * strings, one char per byte, so `<` on strings is `memcmp` order). A
 * `(score, member)` pair may appear once; the caller (the sorted set)
 * keeps the member -> score map and never inserts a member twice.
 *
 * Leaves hold up to {@linkcode LEAF_CAPACITY} pairs in two flat arrays and
 * are linked both ways; inner nodes keep, per child, its element count
 * (for ranks) and a separator key (a lower bound of the child's keys). No
 * per-element object is allocated: memory per element is two array slots
 * plus slack.
 *
 * @example
 * ```ts
 * import { ScoreTree } from "./zset_tree.ts";
 * const t = new ScoreTree();
 * t.insert(2, "b");
 * t.insert(1, "a");
 * t.insert(2, "a");
 * console.log(t.rank(2, "a"), t.size); // 1 3
 * const c = t.seek(0);
 * const out: string[] = [];
 * do out.push(c.member); while (c.next());
 * console.log(out); // ["a", "a", "b"] (scores 1, 2, 2)
 * ```
 *
 * @module
 */

/** Most pairs a leaf holds. */
export const LEAF_CAPACITY = 128;
/** A leaf with fewer pairs borrows from or merges with a sibling. */
const LEAF_MIN = 32;
/** Most children of an inner node. */
const INNER_CAPACITY = 64;
/** An inner node with fewer children borrows from or merges with a sibling. */
const INNER_MIN = 16;

/** A leaf: sorted pairs in `scores[0, n)` / `members[0, n)`. */
class Leaf {
  n = 0;
  /** One spare slot: a leaf may hold `LEAF_CAPACITY + 1` pairs until it splits. */
  readonly scores: number[] = new Array(LEAF_CAPACITY + 1).fill(0);
  readonly members: string[] = new Array(LEAF_CAPACITY + 1).fill("");
  next: Leaf | null = null;
  prev: Leaf | null = null;
}

type Node = Leaf | Inner;

/**
 * An inner node: `children[0, n)`, the number of pairs under each child
 * (`counts`), and for `j >= 1` a separator `(keyScores[j], keyMembers[j])`:
 * every key under child `j - 1` is below it, every key under child `j` is
 * at or above it.
 */
class Inner {
  n = 0;
  readonly children: Node[] = new Array(INNER_CAPACITY + 1);
  readonly counts: number[] = new Array(INNER_CAPACITY + 1).fill(0);
  readonly keyScores: number[] = new Array(INNER_CAPACITY + 1).fill(0);
  readonly keyMembers: string[] = new Array(INNER_CAPACITY + 1).fill("");
}

/** Whether `(s, m)` orders before `(score, member)`. */
function before(s: number, m: string, score: number, member: string): boolean {
  return s < score || (s === score && m < member);
}

/**
 * A position in a {@linkcode ScoreTree}: the pair at it and steps to its
 * neighbours. Valid until the tree is next modified.
 */
export class TreeCursor {
  /** @internal */
  leaf: Leaf;
  /** @internal */
  index: number;

  /** @internal use {@linkcode ScoreTree.seek} */
  constructor(leaf: Leaf, index: number) {
    this.leaf = leaf;
    this.index = index;
  }

  /** The member at the cursor. */
  get member(): string {
    return this.leaf.members[this.index];
  }

  /** The score at the cursor. */
  get score(): number {
    return this.leaf.scores[this.index];
  }

  /** Moves to the next pair in order; false (and the cursor unusable) at the end. */
  next(): boolean {
    if (++this.index < this.leaf.n) return true;
    const next = this.leaf.next;
    if (next === null) return false;
    this.leaf = next;
    this.index = 0;
    return true;
  }

  /** Moves to the previous pair in order; false (and the cursor unusable) at the start. */
  prev(): boolean {
    if (--this.index >= 0) return true;
    const prev = this.leaf.prev;
    if (prev === null) return false;
    this.leaf = prev;
    this.index = prev.n - 1;
    return true;
  }
}

/**
 * The ordered `(score, member)` pairs of a sorted set; see the module
 * documentation.
 */
export class ScoreTree {
  #root: Node = new Leaf();
  /** Number of inner levels above the leaves (0: the root is a leaf). */
  #height = 0;
  #size = 0;
  #head: Leaf;
  #tail: Leaf;
  /** The descent of the last insert/delete: inner nodes and the child index taken. */
  #pathNodes: Inner[] = [];
  #pathIdx: number[] = [];

  /** Creates an empty tree. */
  constructor() {
    this.#head = this.#root as Leaf;
    this.#tail = this.#head;
  }

  /** Number of pairs. */
  get size(): number {
    return this.#size;
  }

  /** The lowest pair's score (undefined when empty). */
  get minScore(): number | undefined {
    return this.#size === 0 ? undefined : this.#head.scores[0];
  }

  /** The highest pair's score (undefined when empty). */
  get maxScore(): number | undefined {
    return this.#size === 0 ? undefined : this.#tail.scores[this.#tail.n - 1];
  }

  /** The lowest pair's member (undefined when empty). */
  get minMember(): string | undefined {
    return this.#size === 0 ? undefined : this.#head.members[0];
  }

  /** The highest pair's member (undefined when empty). */
  get maxMember(): string | undefined {
    return this.#size === 0 ? undefined : this.#tail.members[this.#tail.n - 1];
  }

  /** The child of `node` whose subtree holds `(score, member)`'s position. */
  #childFor(node: Inner, score: number, member: string): number {
    let lo = 1;
    let hi = node.n - 1;
    let j = 0;
    const ks = node.keyScores;
    const km = node.keyMembers;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = ks[mid];
      if (s < score || (s === score && km[mid] <= member)) {
        j = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return j;
  }

  /** Index of the first pair of `leaf` not before `(score, member)`. */
  #leafIndex(leaf: Leaf, score: number, member: string): number {
    let lo = 0;
    let hi = leaf.n;
    const sc = leaf.scores;
    const mb = leaf.members;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (before(sc[mid], mb[mid], score, member)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Adds the pair `(score, member)`, which must not be present (the caller
   * checks its member map). O(log n).
   */
  insert(score: number, member: string): void {
    let node = this.#root;
    for (let d = 0; d < this.#height; d++) {
      const inner = node as Inner;
      const j = this.#childFor(inner, score, member);
      inner.counts[j]++;
      this.#pathNodes[d] = inner;
      this.#pathIdx[d] = j;
      node = inner.children[j];
    }
    const leaf = node as Leaf;
    const i = this.#leafIndex(leaf, score, member);
    const sc = leaf.scores;
    const mb = leaf.members;
    for (let k = leaf.n; k > i; k--) {
      sc[k] = sc[k - 1];
      mb[k] = mb[k - 1];
    }
    sc[i] = score;
    mb[i] = member;
    leaf.n++;
    this.#size++;
    if (leaf.n > LEAF_CAPACITY) this.#splitLeaf(leaf, i === leaf.n - 1 && leaf.next === null);
  }

  /**
   * Splits an overfull leaf in two halves; an append at the end of the
   * last leaf (ascending inserts) leaves the left part full instead, so
   * that such sets are not built half empty.
   */
  #splitLeaf(leaf: Leaf, append: boolean): void {
    const right = new Leaf();
    const half = append ? leaf.n - 1 : leaf.n >> 1;
    const m = leaf.n - half;
    for (let k = 0; k < m; k++) {
      right.scores[k] = leaf.scores[half + k];
      right.members[k] = leaf.members[half + k];
      leaf.members[half + k] = "";
    }
    right.n = m;
    leaf.n = half;
    right.next = leaf.next;
    right.prev = leaf;
    if (leaf.next !== null) leaf.next.prev = right;
    else this.#tail = right;
    leaf.next = right;
    this.#addChild(this.#height, leaf, half, right, m, right.scores[0], right.members[0], append);
  }

  /**
   * After `left` (at depth `depth`, reached through the recorded path)
   * split off `right`: records `right` in the parent (creating a new root
   * at the top), splitting the parent in turn when it overflows.
   */
  #addChild(
    depth: number,
    left: Node,
    leftCount: number,
    right: Node,
    rightCount: number,
    sepScore: number,
    sepMember: string,
    append: boolean,
  ): void {
    if (depth === 0) {
      const root = new Inner();
      root.n = 2;
      root.children[0] = left;
      root.children[1] = right;
      root.counts[0] = leftCount;
      root.counts[1] = rightCount;
      root.keyScores[1] = sepScore;
      root.keyMembers[1] = sepMember;
      this.#root = root;
      this.#height++;
      return;
    }
    const p = this.#pathNodes[depth - 1];
    const j = this.#pathIdx[depth - 1];
    for (let k = p.n; k > j + 1; k--) {
      p.children[k] = p.children[k - 1];
      p.counts[k] = p.counts[k - 1];
      p.keyScores[k] = p.keyScores[k - 1];
      p.keyMembers[k] = p.keyMembers[k - 1];
    }
    p.counts[j] = leftCount;
    p.children[j + 1] = right;
    p.counts[j + 1] = rightCount;
    p.keyScores[j + 1] = sepScore;
    p.keyMembers[j + 1] = sepMember;
    p.n++;
    if (p.n <= INNER_CAPACITY) return;
    // split the inner node (an append keeps the left one nearly full; both keep two children)
    const q = new Inner();
    const half = append && j + 1 === p.n - 1 ? p.n - 2 : p.n >> 1;
    const m = p.n - half;
    let leftSum = 0;
    let rightSum = 0;
    for (let k = 0; k < half; k++) leftSum += p.counts[k];
    for (let k = 0; k < m; k++) {
      q.children[k] = p.children[half + k];
      q.counts[k] = p.counts[half + k];
      q.keyScores[k] = p.keyScores[half + k];
      q.keyMembers[k] = p.keyMembers[half + k];
      rightSum += q.counts[k];
      p.children[half + k] = undefined as unknown as Node;
      p.keyMembers[half + k] = "";
    }
    q.n = m;
    p.n = half;
    const upScore = q.keyScores[0];
    const upMember = q.keyMembers[0];
    q.keyMembers[0] = "";
    this.#addChild(depth - 1, p, leftSum, q, rightSum, upScore, upMember, append);
  }

  /**
   * Removes the pair `(score, member)`, which must be present (the caller
   * knows its score from its member map). O(log n).
   */
  delete(score: number, member: string): void {
    let node = this.#root;
    for (let d = 0; d < this.#height; d++) {
      const inner = node as Inner;
      const j = this.#childFor(inner, score, member);
      this.#pathNodes[d] = inner;
      this.#pathIdx[d] = j;
      node = inner.children[j];
    }
    const leaf = node as Leaf;
    const i = this.#leafIndex(leaf, score, member);
    if (i >= leaf.n || leaf.scores[i] !== score || leaf.members[i] !== member) {
      throw new Error("ScoreTree.delete: pair not present");
    }
    for (let d = 0; d < this.#height; d++) this.#pathNodes[d].counts[this.#pathIdx[d]]--;
    this.#removeFromLeaf(leaf, i, 1);
  }

  /**
   * Removes `count` pairs of `leaf` from index `i` (counts on the recorded
   * path already adjusted) and rebalances.
   */
  #removeFromLeaf(leaf: Leaf, i: number, count: number): void {
    const sc = leaf.scores;
    const mb = leaf.members;
    const n = leaf.n;
    for (let k = i; k + count < n; k++) {
      sc[k] = sc[k + count];
      mb[k] = mb[k + count];
    }
    for (let k = n - count; k < n; k++) mb[k] = "";
    leaf.n = n - count;
    this.#size -= count;
    if (this.#height > 0 && leaf.n < LEAF_MIN) this.#fixLeaf(leaf);
  }

  /** Rebalances an underfull leaf with a sibling (borrow or merge). */
  #fixLeaf(leaf: Leaf): void {
    const depth = this.#height;
    const p = this.#pathNodes[depth - 1];
    const j = this.#pathIdx[depth - 1];
    if (j > 0) {
      const left = p.children[j - 1] as Leaf;
      if (left.n + leaf.n <= LEAF_CAPACITY) {
        for (let k = 0; k < leaf.n; k++) {
          left.scores[left.n + k] = leaf.scores[k];
          left.members[left.n + k] = leaf.members[k];
        }
        left.n += leaf.n;
        left.next = leaf.next;
        if (leaf.next !== null) leaf.next.prev = left;
        else this.#tail = left;
        p.counts[j - 1] += p.counts[j];
        this.#removeChild(depth - 1, j);
      } else {
        const k = (left.n - leaf.n + 1) >> 1;
        for (let t = leaf.n - 1; t >= 0; t--) {
          leaf.scores[t + k] = leaf.scores[t];
          leaf.members[t + k] = leaf.members[t];
        }
        for (let t = 0; t < k; t++) {
          leaf.scores[t] = left.scores[left.n - k + t];
          leaf.members[t] = left.members[left.n - k + t];
          left.members[left.n - k + t] = "";
        }
        left.n -= k;
        leaf.n += k;
        p.counts[j - 1] -= k;
        p.counts[j] += k;
        p.keyScores[j] = leaf.scores[0];
        p.keyMembers[j] = leaf.members[0];
      }
    } else {
      const right = p.children[1] as Leaf;
      if (leaf.n + right.n <= LEAF_CAPACITY) {
        for (let k = 0; k < right.n; k++) {
          leaf.scores[leaf.n + k] = right.scores[k];
          leaf.members[leaf.n + k] = right.members[k];
        }
        leaf.n += right.n;
        leaf.next = right.next;
        if (right.next !== null) right.next.prev = leaf;
        else this.#tail = leaf;
        p.counts[0] += p.counts[1];
        this.#removeChild(depth - 1, 1);
      } else {
        const k = (right.n - leaf.n + 1) >> 1;
        for (let t = 0; t < k; t++) {
          leaf.scores[leaf.n + t] = right.scores[t];
          leaf.members[leaf.n + t] = right.members[t];
        }
        for (let t = k; t < right.n; t++) {
          right.scores[t - k] = right.scores[t];
          right.members[t - k] = right.members[t];
        }
        for (let t = right.n - k; t < right.n; t++) right.members[t] = "";
        right.n -= k;
        leaf.n += k;
        p.counts[0] += k;
        p.counts[1] -= k;
        p.keyScores[1] = right.scores[0];
        p.keyMembers[1] = right.members[0];
      }
    }
  }

  /** Removes child `j` of the inner node at depth `d` of the path; rebalances upwards. */
  #removeChild(d: number, j: number): void {
    const p = this.#pathNodes[d];
    for (let k = j; k + 1 < p.n; k++) {
      p.children[k] = p.children[k + 1];
      p.counts[k] = p.counts[k + 1];
      p.keyScores[k] = p.keyScores[k + 1];
      p.keyMembers[k] = p.keyMembers[k + 1];
    }
    p.n--;
    p.children[p.n] = undefined as unknown as Node;
    p.keyMembers[p.n] = "";
    p.counts[p.n] = 0;
    if (d === 0) {
      if (p.n === 1) {
        this.#root = p.children[0];
        this.#height--;
      }
      return;
    }
    if (p.n < INNER_MIN) this.#fixInner(d);
  }

  /** Rebalances the underfull inner node at depth `d` of the path with a sibling. */
  #fixInner(d: number): void {
    const node = this.#pathNodes[d];
    const p = this.#pathNodes[d - 1];
    const j = this.#pathIdx[d - 1];
    if (j > 0) {
      const left = p.children[j - 1] as Inner;
      if (left.n + node.n <= INNER_CAPACITY) {
        for (let k = 0; k < node.n; k++) {
          const t = left.n + k;
          left.children[t] = node.children[k];
          left.counts[t] = node.counts[k];
          left.keyScores[t] = k === 0 ? p.keyScores[j] : node.keyScores[k];
          left.keyMembers[t] = k === 0 ? p.keyMembers[j] : node.keyMembers[k];
        }
        left.n += node.n;
        p.counts[j - 1] += p.counts[j];
        this.#removeChild(d - 1, j);
      } else {
        const k = (left.n - node.n + 1) >> 1;
        for (let t = node.n - 1; t >= 0; t--) {
          node.children[t + k] = node.children[t];
          node.counts[t + k] = node.counts[t];
          node.keyScores[t + k] = node.keyScores[t];
          node.keyMembers[t + k] = node.keyMembers[t];
        }
        node.keyScores[k] = p.keyScores[j];
        node.keyMembers[k] = p.keyMembers[j];
        let moved = 0;
        for (let t = 0; t < k; t++) {
          const s = left.n - k + t;
          node.children[t] = left.children[s];
          node.counts[t] = left.counts[s];
          node.keyScores[t] = left.keyScores[s];
          node.keyMembers[t] = left.keyMembers[s];
          moved += left.counts[s];
          left.children[s] = undefined as unknown as Node;
          left.keyMembers[s] = "";
        }
        p.keyScores[j] = node.keyScores[0];
        p.keyMembers[j] = node.keyMembers[0];
        node.keyMembers[0] = "";
        left.n -= k;
        node.n += k;
        p.counts[j - 1] -= moved;
        p.counts[j] += moved;
      }
    } else {
      const right = p.children[1] as Inner;
      if (node.n + right.n <= INNER_CAPACITY) {
        for (let k = 0; k < right.n; k++) {
          const t = node.n + k;
          node.children[t] = right.children[k];
          node.counts[t] = right.counts[k];
          node.keyScores[t] = k === 0 ? p.keyScores[1] : right.keyScores[k];
          node.keyMembers[t] = k === 0 ? p.keyMembers[1] : right.keyMembers[k];
        }
        node.n += right.n;
        p.counts[0] += p.counts[1];
        this.#removeChild(d - 1, 1);
      } else {
        const k = (right.n - node.n + 1) >> 1;
        let moved = 0;
        for (let t = 0; t < k; t++) {
          const s = node.n + t;
          node.children[s] = right.children[t];
          node.counts[s] = right.counts[t];
          node.keyScores[s] = t === 0 ? p.keyScores[1] : right.keyScores[t];
          node.keyMembers[s] = t === 0 ? p.keyMembers[1] : right.keyMembers[t];
          moved += right.counts[t];
        }
        p.keyScores[1] = right.keyScores[k];
        p.keyMembers[1] = right.keyMembers[k];
        for (let t = k; t < right.n; t++) {
          right.children[t - k] = right.children[t];
          right.counts[t - k] = right.counts[t];
          right.keyScores[t - k] = right.keyScores[t];
          right.keyMembers[t - k] = right.keyMembers[t];
        }
        for (let t = right.n - k; t < right.n; t++) {
          right.children[t] = undefined as unknown as Node;
          right.keyMembers[t] = "";
        }
        right.keyMembers[0] = "";
        right.n -= k;
        node.n += k;
        p.counts[0] += moved;
        p.counts[1] -= moved;
      }
    }
  }

  /**
   * Removes the pairs of ranks `[start, end)` (0-based, within bounds),
   * calling `removed(member)` for each, lowest first. O(log n + k).
   */
  deleteRange(start: number, end: number, removed?: (member: string) => void): void {
    let left = end - start;
    while (left > 0) {
      // descend to rank `start`, recording the path
      let node = this.#root;
      let r = start;
      for (let d = 0; d < this.#height; d++) {
        const inner = node as Inner;
        let j = 0;
        while (r >= inner.counts[j]) r -= inner.counts[j++];
        this.#pathNodes[d] = inner;
        this.#pathIdx[d] = j;
        node = inner.children[j];
      }
      const leaf = node as Leaf;
      const take = Math.min(left, leaf.n - r);
      if (removed !== undefined) {
        for (let k = 0; k < take; k++) removed(leaf.members[r + k]);
      }
      for (let d = 0; d < this.#height; d++) this.#pathNodes[d].counts[this.#pathIdx[d]] -= take;
      this.#removeFromLeaf(leaf, r, take);
      left -= take;
    }
  }

  /** Removes every pair. */
  clear(): void {
    this.#root = new Leaf();
    this.#height = 0;
    this.#size = 0;
    this.#head = this.#root;
    this.#tail = this.#root;
  }

  /**
   * The 0-based rank of `(score, member)`, or -1 when the pair is not
   * present. O(log n).
   */
  rank(score: number, member: string): number {
    let node = this.#root;
    let rank = 0;
    for (let d = 0; d < this.#height; d++) {
      const inner = node as Inner;
      const j = this.#childFor(inner, score, member);
      for (let k = 0; k < j; k++) rank += inner.counts[k];
      node = inner.children[j];
    }
    const leaf = node as Leaf;
    const i = this.#leafIndex(leaf, score, member);
    if (i < leaf.n && leaf.scores[i] === score && leaf.members[i] === member) return rank + i;
    return -1;
  }

  /**
   * A cursor at 0-based rank `rank` (`0 <= rank < size`). O(log n).
   */
  seek(rank: number): TreeCursor {
    if (rank < 0 || rank >= this.#size) throw new RangeError(`rank ${rank} out of range`);
    if (rank === 0) return new TreeCursor(this.#head, 0);
    if (rank === this.#size - 1) return new TreeCursor(this.#tail, this.#tail.n - 1);
    let node = this.#root;
    let r = rank;
    for (let d = 0; d < this.#height; d++) {
      const inner = node as Inner;
      let j = 0;
      while (r >= inner.counts[j]) r -= inner.counts[j++];
      node = inner.children[j];
    }
    return new TreeCursor(node as Leaf, r);
  }

  /**
   * The number of pairs whose score is below `value` (`inclusive` false)
   * or at most `value` (`inclusive` true): the rank of the first pair with
   * a score at or above (above) `value`. O(log n).
   */
  countScoreBelow(value: number, inclusive: boolean): number {
    return this.#countBelow(value, inclusive, false);
  }

  /**
   * The number of leading pairs whose member is below `value` (`inclusive`
   * false) or at most `value` (`inclusive` true), assuming members ascend
   * (as they do among equal scores: Redis's lex ranges). O(log n).
   */
  countMemberBelow(value: string, inclusive: boolean): number {
    return this.#countBelow(value, inclusive, true);
  }

  /** The rank search of {@linkcode countScoreBelow} / {@linkcode countMemberBelow}, by scores or members. */
  #countBelow(value: number | string, inclusive: boolean, byMember: boolean): number {
    let node = this.#root;
    let rank = 0;
    for (let d = 0; d < this.#height; d++) {
      const inner = node as Inner;
      const keys: ArrayLike<number | string> = byMember ? inner.keyMembers : inner.keyScores;
      let lo = 1;
      let hi = inner.n - 1;
      let j = 0;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (inclusive ? keys[mid] <= value : keys[mid] < value) {
          j = mid;
          lo = mid + 1;
        } else {
          hi = mid - 1;
        }
      }
      for (let k = 0; k < j; k++) rank += inner.counts[k];
      node = inner.children[j];
    }
    const leaf = node as Leaf;
    const keys: ArrayLike<number | string> = byMember ? leaf.members : leaf.scores;
    let lo = 0;
    let hi = leaf.n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (inclusive ? keys[mid] <= value : keys[mid] < value) lo = mid + 1;
      else hi = mid;
    }
    return rank + lo;
  }

  /**
   * Checks the tree's invariants (order, counts, separators, links, no
   * empty node); throws on the first violation. For tests.
   */
  verify(): void {
    const leaves: Leaf[] = [];
    const walk = (
      node: Node,
      depth: number,
      lo: [number, string] | null,
      hi: [number, string] | null,
    ): number => {
      if (depth === this.#height) {
        const leaf = node as Leaf;
        if (leaf.n > LEAF_CAPACITY) throw new Error("leaf overflow");
        if (node !== this.#root && leaf.n < 1) throw new Error("empty leaf");
        for (let k = 0; k < leaf.n; k++) {
          if (
            k > 0 &&
            !before(leaf.scores[k - 1], leaf.members[k - 1], leaf.scores[k], leaf.members[k])
          ) {
            throw new Error("leaf order");
          }
        }
        if (lo !== null && leaf.n > 0 && before(leaf.scores[0], leaf.members[0], lo[0], lo[1])) {
          throw new Error("separator above leaf key");
        }
        const last = leaf.n - 1;
        if (
          hi !== null && leaf.n > 0 && !before(leaf.scores[last], leaf.members[last], hi[0], hi[1])
        ) {
          throw new Error("separator below leaf key");
        }
        leaves.push(leaf);
        return leaf.n;
      }
      const inner = node as Inner;
      if (inner.n > INNER_CAPACITY) throw new Error("inner overflow");
      if (inner.n < 2) throw new Error("inner node with fewer than two children");
      let total = 0;
      for (let k = 0; k < inner.n; k++) {
        const bound: [number, string] | null = k === 0
          ? lo
          : [inner.keyScores[k], inner.keyMembers[k]];
        const upper: [number, string] | null = k === inner.n - 1
          ? hi
          : [inner.keyScores[k + 1], inner.keyMembers[k + 1]];
        const c = walk(inner.children[k], depth + 1, bound, upper);
        if (c !== inner.counts[k]) throw new Error(`count ${inner.counts[k]} != ${c}`);
        total += c;
      }
      return total;
    };
    const total = walk(this.#root, 0, null, null);
    if (total !== this.#size) throw new Error(`size ${this.#size} != ${total}`);
    if (leaves[0] !== this.#head || leaves[leaves.length - 1] !== this.#tail) {
      throw new Error("head/tail");
    }
    for (let k = 0; k < leaves.length; k++) {
      if (leaves[k].next !== (leaves[k + 1] ?? null)) throw new Error("next link");
      if (leaves[k].prev !== (leaves[k - 1] ?? null)) throw new Error("prev link");
    }
    // keys ascend across leaves and every pair is above its separators
    let prev: [number, string] | null = null;
    for (const leaf of leaves) {
      for (let k = 0; k < leaf.n; k++) {
        if (prev !== null && !before(prev[0], prev[1], leaf.scores[k], leaf.members[k])) {
          throw new Error("global order");
        }
        prev = [leaf.scores[k], leaf.members[k]];
      }
    }
  }
}
