/** What the restore workflow's steps pass along: the backup it restores and the members it restores it on. */
import * as z from 'zod';

export const restoreRequestSchema = z.object({ backup: z.string().min(1) });

export const restorePlanSchema = z.object({
  backup: z.string(),
  bucket: z.string(),
  key: z.string(),
  sha256: z.string(),
  revision: z.number().optional(),
  token: z.string(),
  members: z.array(z.object({ instanceId: z.string(), name: z.string(), address: z.string() })).min(1),
  /** Every running control-plane and node instance: their kubelets restart once etcd is back. */
  kubelets: z.array(z.object({ instanceId: z.string() })),
});
export type RestorePlan = z.infer<typeof restorePlanSchema>;
