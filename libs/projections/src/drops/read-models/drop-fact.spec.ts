import { parseInstant } from './drop-fact';

describe('parseInstant', () => {
  it('equals Date.parse on toISOString instants and on every edge it leaves to Date.parse', () => {
    const samples = [
      '2027-01-01T00:00:00.000Z',
      '1970-01-01T00:00:00.000Z',
      '2024-02-29T23:59:59.999Z',
      '0099-06-01T12:00:00.000Z',
      '2027-02-30T00:00:00.000Z',
      '2027-02-32T00:00:00.000Z',
      '2027-13-01T00:00:00.000Z',
      '2027-00-01T00:00:00.000Z',
      '2027-01-01T24:00:00.000Z',
      '2027-01-01T23:60:00.000Z',
      '2027-01-01T23:59:60.000Z',
      '2027-01-01T1a:00:00.000Z',
      '2027-01-01T10:00:00Z',
      '2027-01-01T10:00:00.000+01:00',
      'not a date',
    ];
    for (let i = 0; i < 2000; i++) samples.push(new Date(Math.floor(Math.random() * 8e12) - 1e12).toISOString());
    for (const s of samples) expect({ s, ms: parseInstant(s) }).toEqual({ s, ms: Date.parse(s) });
  });
});
