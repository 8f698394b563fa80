// The training playground's worker: a TrainSession answering the page's commands with snapshots,
// so training never takes the page's thread.
import { TrainSession, type TrainCommand } from '../train/session';

const session = new TrainSession((snapshot) => self.postMessage(snapshot));
self.onmessage = (e: MessageEvent<TrainCommand>) => session.handle(e.data);
