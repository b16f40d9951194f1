import { kubectlReadSuite } from './kubectl-read-suite.ts';
import { kubectlWriteSuite } from './kubectl-write-suite.ts';

kubectlReadSuite('1.29');
kubectlWriteSuite('1.29');
