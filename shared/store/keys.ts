/**
 * Item layout of the single table. One partition per cluster name holds the live
 * incarnation, its history, its resource inventory and its events; operations have
 * their own partition (they are fetched by id alone) and reach their cluster via gsi1.
 *
 * | entity    | pk               | sk                    | gsi1pk          | gsi1sk                   |
 * |-----------|------------------|-----------------------|-----------------|--------------------------|
 * | cluster   | CLUSTER#<name>   | CLUSTER               | CLUSTERS        | <status>#<name>          |
 * | history   | CLUSTER#<name>   | HIST#<createdAt>#<uid>| –               | –                        |
 * | resource  | CLUSTER#<name>   | RES#<type>#<id>       | –               | –                        |
 * | event     | CLUSTER#<name>   | EVT#<at>#<seq>        | –               | –                        |
 * | operation | OP#<id>          | OP                    | OPS#<cluster>   | <startedAt>#<id>         |
 */

export const clusterPk = (name: string) => `CLUSTER#${name}`;
export const CLUSTER_SK = 'CLUSTER';
/** Every cluster shares one gsi1 partition: a control plane runs tens of clusters, not millions. */
export const CLUSTERS_GSI_PK = 'CLUSTERS';
export const clusterGsiSk = (status: string, name: string) => `${status}#${name}`;

export const HIST_PREFIX = 'HIST#';
export const historySk = (createdAt: string, uid: string) => `${HIST_PREFIX}${createdAt}#${uid}`;

export const RES_PREFIX = 'RES#';
export const resourceSk = (type: string, id: string) => `${RES_PREFIX}${type}#${id}`;

export const EVT_PREFIX = 'EVT#';
export const eventSk = (id: string) => `${EVT_PREFIX}${id}`;

export const operationPk = (id: string) => `OP#${id}`;
export const OPERATION_SK = 'OP';
export const operationsGsiPk = (cluster: string) => `OPS#${cluster}`;
export const operationGsiSk = (startedAt: string, id: string) => `${startedAt}#${id}`;

/** Attributes that are keys, not record fields: stripped when an item becomes a record. */
export const KEY_ATTRIBUTES = ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'entity', 'ttl'] as const;

/** Drop the key attributes from an item, leaving the record. */
export function stripKeys<T>(item: Record<string, unknown>): T {
  const record: Record<string, unknown> = { ...item };
  for (const key of KEY_ATTRIBUTES) delete record[key];
  return record as T;
}
