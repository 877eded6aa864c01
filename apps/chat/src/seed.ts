import type { ChatData } from './chat-data.ts';
import { hashPassword } from './password.ts';

/** A seeded account, printed at start and listed in the README so a person can log in. */
export interface SeedAccount {
  readonly realm: string;
  readonly email: string;
  readonly password: string;
  readonly fullName: string;
  readonly isAdmin: boolean;
}

const MIB = 1024 * 1024;

export const SEED_ACCOUNTS: readonly SeedAccount[] = [
  { realm: 'Zulip Dev', email: 'iago@zulip.test', password: 'iago-stowage', fullName: 'Iago', isAdmin: true },
  {
    realm: 'Zulip Dev',
    email: 'hamlet@zulip.test',
    password: 'hamlet-stowage',
    fullName: 'King Hamlet',
    isAdmin: false,
  },
  { realm: 'Zulip Dev', email: 'othello@zulip.test', password: 'othello-stowage', fullName: 'Othello', isAdmin: false },
  {
    realm: 'Zulip Dev',
    email: 'prospero@zulip.test',
    password: 'prospero-stowage',
    fullName: 'Prospero',
    isAdmin: false,
  },
  { realm: 'Lear & Co.', email: 'lear@lear.test', password: 'lear-stowage', fullName: 'King Lear', isAdmin: true },
  {
    realm: 'Lear & Co.',
    email: 'cordelia@lear.test',
    password: 'cordelia-stowage',
    fullName: 'Cordelia',
    isAdmin: false,
  },
];

/** Each realm's quota, and the per-user one (`null`: none). */
const REALM_QUOTAS: Readonly<Record<string, readonly [number, number | null]>> = {
  'Zulip Dev': [1024 * MIB, 300 * MIB],
  'Lear & Co.': [200 * MIB, null],
};

/** Channel name, privacy, and who is subscribed (by email; public channels have everyone). */
const CHANNELS: readonly { realm: string; name: string; isPrivate: boolean; members?: readonly string[] }[] = [
  { realm: 'Zulip Dev', name: 'general', isPrivate: false },
  { realm: 'Zulip Dev', name: 'design', isPrivate: false },
  { realm: 'Zulip Dev', name: 'core team', isPrivate: true, members: ['iago@zulip.test', 'hamlet@zulip.test'] },
  { realm: 'Lear & Co.', name: 'general', isPrivate: false },
  { realm: 'Lear & Co.', name: 'the kingdom', isPrivate: true, members: ['lear@lear.test'] },
];

const MESSAGES: readonly { realm: string; channel: string; from: string; content: string }[] = [
  {
    realm: 'Zulip Dev',
    channel: 'general',
    from: 'iago@zulip.test',
    content: 'Welcome to Stowage chat! Attach files with the paperclip.',
  },
  { realm: 'Zulip Dev', channel: 'general', from: 'hamlet@zulip.test', content: 'To upload, or not to upload.' },
  { realm: 'Zulip Dev', channel: 'design', from: 'othello@zulip.test', content: 'Post mockups here.' },
  {
    realm: 'Zulip Dev',
    channel: 'core team',
    from: 'iago@zulip.test',
    content: 'Private: only subscribers see this channel and its files.',
  },
  { realm: 'Lear & Co.', channel: 'general', from: 'lear@lear.test', content: 'Nothing will come of nothing.' },
  {
    realm: 'Lear & Co.',
    channel: 'the kingdom',
    from: 'lear@lear.test',
    content: 'The map of the division of the kingdom goes here.',
  },
];

/** Fills an empty database with two realms, their users, channels and a few messages. */
export async function seedDatabase(data: ChatData, now: number): Promise<void> {
  const hashes = await Promise.all(SEED_ACCOUNTS.map((account) => hashPassword(account.password)));
  data.transaction(() => {
    const realmIds = new Map<string, number>();
    for (const [name, [quota, userQuota]] of Object.entries(REALM_QUOTAS)) {
      const id = data.createRealm(name, quota);
      data.setQuotas(id, quota, userQuota);
      realmIds.set(name, id);
    }
    const userIds = new Map<string, number>();
    SEED_ACCOUNTS.forEach((account, index) => {
      const realmId = realmIds.get(account.realm) ?? 0;
      userIds.set(
        account.email,
        data.createUser(realmId, account.email, account.fullName, hashes[index] ?? '', account.isAdmin),
      );
    });
    const channelIds = new Map<string, number>();
    for (const channel of CHANNELS) {
      const realmId = realmIds.get(channel.realm) ?? 0;
      const id = data.createChannel(realmId, channel.name, channel.isPrivate);
      channelIds.set(`${channel.realm}/${channel.name}`, id);
      const members =
        channel.members ??
        SEED_ACCOUNTS.filter((account) => account.realm === channel.realm).map((account) => account.email);
      for (const email of members) data.subscribe(userIds.get(email) ?? 0, id);
    }
    MESSAGES.forEach((message, index) => {
      data.createMessage(
        channelIds.get(`${message.realm}/${message.channel}`) ?? 0,
        userIds.get(message.from) ?? 0,
        message.content,
        now + index,
        [],
      );
    });
  });
}
