/** Path parameter schemas shared by the routes. */
import * as z from 'zod';
import { clusterNameParam } from '../../shared/api/schemas';

export const clusterParams = z.object({ name: clusterNameParam });
export const groupParams = z.object({ name: clusterNameParam, group: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS-1123 label').max(40) });
export const operationParams = z.object({ id: z.string().min(1).max(80).regex(/^[A-Za-z0-9_-]+$/, 'must be an operation id') });
