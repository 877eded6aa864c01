import { join } from 'node:path';
import { localChatStores } from './open-chat-stores.ts';
import { describeTusResume } from '../test/tus-resume-suite.ts';

describeTusResume('local store', (dir) => localChatStores(join(dir, 'uploads'), 'test-signing-secret-0123456789'));
