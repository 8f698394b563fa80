// The page's engine client: the worker bridge wired to the reply handler and the crash restart,
// and the commands the store's actions call (see state/store.ts `connectEngine`).
import { connectBridge } from './workerBridge';
import { handleReply } from './replies';
import * as commands from './commands';

connectBridge({ reply: handleReply, crash: commands.restart });

export { commands };
export { crashWorkerForTest, startEngine, sourceForModel } from './commands';
