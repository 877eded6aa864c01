import { fetchChannels, fetchEmoji, fetchRealm, fetchSession } from './api.ts';
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
  readonly #listeners = new Set<() => void>();

  private constructor(user: User, realm: Realm, channels: readonly Channel[], emoji: readonly Emoji[]) {
    this.user = user;
    this.realm = realm;
    this.channels = channels;
    this.emoji = emoji;
  }

  static async load(user: User): Promise<SessionState> {
    const [realm, channels, emoji] = await Promise.all([fetchRealm(), fetchChannels(), fetchEmoji()]);
    return new SessionState(user, realm, channels, emoji);
  }

  /** Calls `listener` after every change; returns the function that stops it. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emojiNames(): ReadonlySet<string> {
    return new Set(this.emoji.map((item) => item.name));
  }

  async reloadUser(): Promise<void> {
    const session = await fetchSession();
    if (session.user !== null) this.user = session.user;
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
