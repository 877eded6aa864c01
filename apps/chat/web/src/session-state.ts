import { fetchChannels, fetchEmoji, fetchRealm, fetchSession, fetchUsers } from './api.ts';
import type { Channel, Emoji, Realm, User } from './types.ts';

/**
 * What the whole page shares about the signed-in person: their profile, organization, channels and emoji.
 * Views listen for changes so that, for example, a new avatar shows everywhere at once.
 */
export class SessionState {
  user: User;
  realm: Realm;
  channels: readonly Channel[];
  emoji: readonly Emoji[];
  /** Everyone in the organization, with their current avatars. */
  users: readonly User[];
  readonly #listeners = new Set<() => void>();

  private constructor(user: User, realm: Realm, channels: readonly Channel[], emoji: readonly Emoji[], users: readonly User[]) {
    this.user = user;
    this.realm = realm;
    this.channels = channels;
    this.emoji = emoji;
    this.users = users;
  }

  static async load(user: User): Promise<SessionState> {
    const [realm, channels, emoji, users] = await Promise.all([fetchRealm(), fetchChannels(), fetchEmoji(), fetchUsers()]);
    return new SessionState(user, realm, channels, emoji, users);
  }

  /** Calls `listener` after every change; returns the function that stops it. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emojiNames(): ReadonlySet<string> {
    return new Set(this.emoji.map((item) => item.name));
  }

  /** After a change to the signed-in user (a new avatar): their profile and the people list. */
  async reloadUser(): Promise<void> {
    const [session, users] = await Promise.all([fetchSession(), fetchUsers()]);
    if (session.user !== null) this.user = session.user;
    this.users = users;
    this.#changed();
  }

  async reloadRealm(): Promise<void> {
    this.realm = await fetchRealm();
    this.#changed();
  }

  async reloadEmoji(): Promise<void> {
    this.emoji = await fetchEmoji();
    this.#changed();
  }

  #changed(): void {
    for (const listener of this.#listeners) listener();
  }
}
