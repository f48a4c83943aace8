/**
 * The links an element of a {@link LinkedList} carries itself (an intrusive list: no wrapper
 * objects, so moving an element between lists allocates nothing). An element belongs to at
 * most one list at a time; both links are null while it belongs to none.
 */
export interface ListNode<N> {
  /** The element before this one (towards the head), or null. */
  prev: N | null;
  /** The element after this one (towards the tail), or null. */
  next: N | null;
}

/**
 * An intrusive doubly linked list with O(1) append, insert-after, removal and move-to-tail.
 * The eviction policies keep recency order in it (head = least recent, tail = most recent);
 * RedisStore's operation deadlines keep start order.
 */
export class LinkedList<N extends ListNode<N>> {
  /** The first (least recent) element, or null when empty. */
  head: N | null = null;
  /** The last (most recent) element, or null when empty. */
  tail: N | null = null;
  /** Number of elements. */
  length = 0;

  /** Appends `node` (which must not be in a list) at the tail. */
  pushTail(node: N): void {
    node.prev = this.tail;
    node.next = null;
    if (this.tail === null) this.head = node;
    else this.tail.next = node;
    this.tail = node;
    this.length++;
  }

  /** Inserts `node` (which must not be in a list) at the head. */
  pushHead(node: N): void {
    node.prev = null;
    node.next = this.head;
    if (this.head === null) this.tail = node;
    else this.head.prev = node;
    this.head = node;
    this.length++;
  }

  /** Inserts `node` (which must not be in a list) right after `anchor` (which must be in this one). */
  insertAfter(anchor: N, node: N): void {
    const after = anchor.next;
    node.prev = anchor;
    node.next = after;
    anchor.next = node;
    if (after === null) this.tail = node;
    else after.prev = node;
    this.length++;
  }

  /** Unlinks `node`, which must be in this list, and clears its links. */
  remove(node: N): void {
    const { prev, next } = node;
    if (prev === null) this.head = next;
    else prev.next = next;
    if (next === null) this.tail = prev;
    else next.prev = prev;
    node.prev = null;
    node.next = null;
    this.length--;
  }

  /** Moves `node`, which must be in this list, to the tail (marks it most recent). */
  moveToTail(node: N): void {
    if (this.tail === node) return;
    this.remove(node);
    this.pushTail(node);
  }

  /** Forgets every element (their links are left as they are; drop the elements too). */
  clear(): void {
    this.head = null;
    this.tail = null;
    this.length = 0;
  }
}
