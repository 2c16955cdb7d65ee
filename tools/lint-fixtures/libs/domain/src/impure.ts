// Breaks domain-is-pure: the domain doing IO.
import { readFileSync } from 'node:fs';

export const impure = (): string => readFileSync('/etc/hostname', 'utf8');
