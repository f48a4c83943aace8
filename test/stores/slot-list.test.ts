import { NO_SLOT, SlotLinks, SlotList } from '../../src/stores/structures/slot-list.js';

/** The slots of a list head to tail, checked against the walk tail to head and the length. */
function slots(list: SlotList, links: SlotLinks): number[] {
  const out: number[] = [];
  for (let s = list.head; s !== NO_SLOT; s = links.next[s]!) out.push(s);
  const back: number[] = [];
  for (let s = list.tail; s !== NO_SLOT; s = links.prev[s]!) back.push(s);
  expect(back.reverse()).toEqual(out);
  expect(list.length).toBe(out.length);
  return out;
}

describe('SlotList (slots linked through shared typed arrays)', () => {
  it('appends at the tail and removes from the head, the middle and the tail, clearing the links', () => {
    const links = new SlotLinks(8);
    const list = new SlotList(links);
    for (const s of [3, 1, 4, 0, 5]) list.pushTail(s);
    expect(slots(list, links)).toEqual([3, 1, 4, 0, 5]);
    list.remove(3);
    list.remove(4);
    list.remove(5);
    expect(slots(list, links)).toEqual([1, 0]);
    expect([links.prev[4], links.next[4]]).toEqual([NO_SLOT, NO_SLOT]);
    list.remove(1);
    list.remove(0);
    expect(slots(list, links)).toEqual([]);
    expect([list.head, list.tail]).toEqual([NO_SLOT, NO_SLOT]);
  });

  it('moves a slot to the tail from the head, the middle, or the tail itself', () => {
    const links = new SlotLinks(8);
    const list = new SlotList(links);
    for (const s of [0, 1, 2, 3]) list.pushTail(s);
    list.moveToTail(0);
    expect(slots(list, links)).toEqual([1, 2, 3, 0]);
    list.moveToTail(2);
    expect(slots(list, links)).toEqual([1, 3, 0, 2]);
    list.moveToTail(2);
    expect(slots(list, links)).toEqual([1, 3, 0, 2]);
  });

  it('moves a slot to the tail of another list over the same links, both lists staying whole', () => {
    const links = new SlotLinks(8);
    const a = new SlotList(links);
    const b = new SlotList(links);
    for (const s of [0, 1, 2]) a.pushTail(s);
    a.moveTo(1, b); // from the middle into an empty list
    a.moveTo(0, b); // from the head
    a.moveTo(2, b); // the last one: a empties
    expect(slots(a, links)).toEqual([]);
    expect(slots(b, links)).toEqual([1, 0, 2]);
    b.moveTo(2, a); // from the tail
    expect(slots(a, links)).toEqual([2]);
    expect(slots(b, links)).toEqual([1, 0]);
  });

  it('keeps every link when the links grow', () => {
    const links = new SlotLinks(2);
    const list = new SlotList(links);
    list.pushTail(1);
    list.pushTail(0);
    links.grow(6);
    expect(links.capacity).toBe(6);
    list.pushTail(5);
    list.moveToTail(1);
    expect(slots(list, links)).toEqual([0, 5, 1]);
    expect([links.prev[3], links.next[3]]).toEqual([NO_SLOT, NO_SLOT]);
  });
});
