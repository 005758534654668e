import { InMemoryTaskRepository } from './task-repository.js';
import type { TaskDocument, TaskState } from './task.js';

const doc = (
  id: string,
  state: TaskState,
  createdAt = '2026-01-01T00:00:00.000Z',
): TaskDocument => ({
  _id: id,
  state,
  createdAt,
  updatedAt: createdAt,
});

describe('InMemoryTaskRepository', () => {
  it('lists a state oldest first, keeping insertion order between equal createdAt', () => {
    const repository = new InMemoryTaskRepository();
    for (const id of ['a', 'b', 'c', 'd'])
      repository.insert(id, doc(id, 'pending'));
    expect(repository.list('pending').map((record) => record.key)).toEqual([
      'a',
      'b',
      'c',
      'd',
    ]);
    expect(repository.list('pending', 2).map((record) => record.key)).toEqual([
      'a',
      'b',
    ]);
  });

  it('moves tasks between states and puts a returning task back in its place', () => {
    const repository = new InMemoryTaskRepository();
    for (const id of ['a', 'b', 'c']) repository.insert(id, doc(id, 'pending'));
    const a = repository.find('a')!;
    const b = repository.find('b')!;
    repository.replace(a, { ...a.doc, state: 'in_progress' });
    repository.replace(b, { ...b.doc, state: 'in_progress' });
    expect(repository.list('pending').map((record) => record.key)).toEqual([
      'c',
    ]);
    expect(repository.count('in_progress')).toBe(2);
    repository.replace(b, { ...b.doc, state: 'pending' });
    repository.replace(a, { ...a.doc, state: 'pending' });
    expect(repository.list('pending').map((record) => record.key)).toEqual([
      'a',
      'b',
      'c',
    ]);
    expect(repository.count('in_progress')).toBe(0);
  });

  it('orders by createdAt when tasks are inserted out of order', () => {
    const repository = new InMemoryTaskRepository();
    repository.insert('new', doc('new', 'pending', '2026-02-01T00:00:00.000Z'));
    repository.insert('old', doc('old', 'pending', '2026-01-01T00:00:00.000Z'));
    expect(repository.list('pending').map((record) => record.key)).toEqual([
      'old',
      'new',
    ]);
    expect(repository.list().map((record) => record.key)).toEqual([
      'old',
      'new',
    ]);
  });

  it('forgets everything on clear', () => {
    const repository = new InMemoryTaskRepository();
    repository.insert('a', doc('a', 'failed'));
    repository.clear();
    expect(repository.size()).toBe(0);
    expect(repository.count('failed')).toBe(0);
    expect(repository.find('a')).toBeUndefined();
  });
});
