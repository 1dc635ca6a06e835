/** Timeline triggers and actions in words, for notices, `hubtls check` and the admin API. */
import type { Action, Trigger } from './compile.js';
import { describeChainSource as source } from '../../pki/resolve.js';

function on(endpoints: string[]): string {
  return endpoints.join(', ');
}

export function describeTrigger(t: Trigger): string {
  switch (t.kind) {
    case 'at':
      return `at ${t.at.toISOString()} (scenario clock)`;
    case 'after':
      return `after ${t.connections} connection${t.connections === 1 ? '' : 's'}${t.endpoint ? ` to ${t.endpoint}` : ''}`;
    case 'delay':
      return `${t.ms} ms after the previous step`;
    case 'admin':
      return 'on admin trigger';
  }
}

export function describeAction(a: Action): string {
  switch (a.kind) {
    case 'chain':
      return `${on(a.endpoints)}: serve ${a.keyType === 'ec' ? 'ECC ' : ''}chain ${source(a.source)}`;
    case 'rotateLeaf':
      return `${on(a.endpoints)}: rotate the leaf`;
    case 'rotateIntermediate':
      return `${on(a.endpoints)}: rotate the issuing CA${a.to ? ` to chain ${a.to}` : ''}`;
    case 'profile':
      return `${on(a.endpoints)}: profile ${a.profile}`;
    case 'clock':
      return `clock ${a.to}`;
    case 'fault':
      return [a.start.length && `start fault ${a.start.join(', ')}`, a.stop.length && `stop fault ${a.stop.join(', ')}`]
        .filter(Boolean)
        .join(', ');
    case 'drop':
      return `${on(a.endpoints)}: drop open connections`;
  }
}
