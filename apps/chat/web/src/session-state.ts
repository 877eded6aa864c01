import { fetchChannels, fetchDirectConversations, fetchEmoji, fetchRealm, fetchSession, fetchUsers } from './api.ts';
import type { Channel, DirectConversation, Emoji, Realm, User } from './types.ts';

/**
 * What the whole page shares about the signed-in person: their profile, organization, channels and emoji.
 * Views listen for changes so that, for example, a new avatar shows everywhere at once.
 */
export class SessionState {
  user: User;
  realm: Realm;
  channels: readonly Channel[];
  directs: readonly DirectConversation[];
  emoji: readonly Emoji[];
  /** Everyone in the organization, with their current avatars. */
  users: readonly User[];
  readonly #listeners = new Set<() => void>();

  private constructor(
    user: User,
    realm: Realm,
    channels: readonly Channel[],
    directs: readonly DirectConversation[],
    emoji: readonly Emoji[],
    users: readonly User[],
  ) {
    this.user = user;
    this.realm = realm;
    this.channels = channels;
    this.directs = directs;
    this.emoji = emoji;
    this.users = users;
  }

  static async load(user: User): Promise<SessionState> {
    const [realm, channels, directs, emoji, users] = await Promise.all([
      fetchRealm(),
      fetchChannels(),
      fetchDirectConversations(),
      fetchEmoji(),
      fetchUsers(),
    ]);
    return new SessionState(user, realm, channels, directs, emoji, users);
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

  /** After a direct conversation starts (here or by someone writing to this person). */
  async reloadDirects(): Promise<void> {
    this.directs = await fetchDirectConversations();
    this.#changed();
  }

  /** How a direct conversation is named: the other members, or "yourself" for a note to self. */
  directName(conversation: DirectConversation): string {
    const others = conversation.members.filter((member) => member.id !== this.user.id).map((member) => member.fullName);
    return others.length === 0 ? `${this.user.fullName} (yourself)` : others.join(', ');
  }

  async reloadEmoji(): Promise<void> {
    this.emoji = await fetchEmoji();
    this.#changed();
  }

  #changed(): void {
    for (const listener of this.#listeners) listener();
  }
}
