/**
 * The API load balancer's health checks: a control plane counts once its API server has
 * accepted `HealthyThresholdCount` TCP connections `HealthCheckIntervalSeconds` apart. AWS's
 * defaults (five checks 30 s apart) keep a new control plane out of the balancer for two and a
 * half minutes — and `kubeadm init` waits on the balancer for its API check.
 */
export const API_HEALTH_CHECK = { HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 4, HealthyThresholdCount: 2, UnhealthyThresholdCount: 2 } as const;

/** Seconds from a target's first accepted connection to healthy. */
export const API_HEALTHY_SECONDS = API_HEALTH_CHECK.HealthCheckIntervalSeconds * API_HEALTH_CHECK.HealthyThresholdCount;
