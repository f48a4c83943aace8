import { LinkedList, type ListNode } from '../../src/stores/structures/linked-list.js';

class Item implements ListNode<Item> {
  prev: Item | null = null;
  next: Item | null = null;
  constructor(readonly name: string) {}
}

function names(list: LinkedList<Item>): string[] {
  const out: string[] = [];
  for (let n = list.head; n !== null; n = n.next) out.push(n.name);
  const back: string[] = [];
  for (let n = list.tail; n !== null; n = n.prev) back.push(n.name);
  expect(back.reverse()).toEqual(out); // both directions agree
  expect(list.length).toBe(out.length);
  return out;
}

describe('LinkedList (intrusive, recency order)', () => {
  it('appends at the tail, inserts at the head and after an element', () => {
    const list = new LinkedList<Item>();
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((n) => new Item(n)) as [Item, Item, Item, Item];
    list.pushTail(b);
    list.pushHead(a);
    list.pushTail(d);
    list.insertAfter(b, c);
    expect(names(list)).toEqual(['a', 'b', 'c', 'd']);
    const e = new Item('e');
    list.insertAfter(d, e);
    expect(list.tail).toBe(e);
    expect(names(list)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('removes head, middle and tail elements and clears their links', () => {
    const list = new LinkedList<Item>();
    const items = ['a', 'b', 'c', 'd'].map((n) => new Item(n));
    items.forEach((i) => list.pushTail(i));
    list.remove(items[1]!);
    expect(items[1]!.prev).toBeNull();
    expect(items[1]!.next).toBeNull();
    expect(names(list)).toEqual(['a', 'c', 'd']);
    list.remove(items[0]!);
    list.remove(items[3]!);
    expect(names(list)).toEqual(['c']);
    list.remove(items[2]!);
    expect(names(list)).toEqual([]);
    expect(list.head).toBeNull();
    expect(list.tail).toBeNull();
  });

  it('moves an element to the tail (most recent)', () => {
    const list = new LinkedList<Item>();
    const items = ['a', 'b', 'c'].map((n) => new Item(n));
    items.forEach((i) => list.pushTail(i));
    list.moveToTail(items[0]!);
    expect(names(list)).toEqual(['b', 'c', 'a']);
    list.moveToTail(items[0]!);
    expect(names(list)).toEqual(['b', 'c', 'a']);
    list.moveToTail(items[2]!);
    expect(names(list)).toEqual(['b', 'a', 'c']);
  });

  it('clear empties the list', () => {
    const list = new LinkedList<Item>();
    list.pushTail(new Item('a'));
    list.clear();
    expect(names(list)).toEqual([]);
  });
});
