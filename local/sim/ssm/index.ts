/** Registers SSM (`X-Amz-Target: AmazonSSM.*`) with the simulator. */
import { registerJsonService } from '../core/registry';
import { ssmHandler } from './service';

registerJsonService('AmazonSSM', ssmHandler);
