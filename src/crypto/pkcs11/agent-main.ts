// The token agent's entry when seal runs from its sources or from dist/ (client.ts forks this file).
import { runAgent } from './agent.ts';

runAgent();
