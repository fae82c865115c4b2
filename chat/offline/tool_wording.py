"""The tools' own Russian texts in English, keyed by the codes the tools give them.

generate_step_plan's steps and estimate_migration_effort's reasons and caveats are written in
Russian for the model and the user; an English offline answer shows these instead, found by
the step's, reason's or caveat's code (a test keeps the tables complete). A reason's
template takes the figure its Russian detail quotes.
"""

from __future__ import annotations

# generate_step_plan: step code → (title, check).
STEPS: dict[str, tuple[str, str]] = {
    "snapshot_dependents": (
        "Make sure no images or disks depend on the snapshot",
        "No image or disk was created from this snapshot",
    ),
    "snapshot_export": (
        "If needed, export the snapshot to object storage",
        "The copy is available and its size matches",
    ),
    "snapshot_delete": (
        "Delete the snapshot",
        "The snapshot is gone and charges stopped",
    ),
    "ip_unattached": (
        "Check that the address is attached to nothing",
        "No VM or load balancer holds the address",
    ),
    "ip_references": (
        "Check the DNS records and access rules that use this address",
        "No A record and no rule refers to the address",
    ),
    "ip_release": (
        "Release the address",
        "The address is gone and charges stopped",
    ),
    "volume_unattached": (
        "Make sure the disk is unattached and unneeded",
        "The disk is attached to no VM and the owner confirmed",
    ),
    "volume_snapshot": (
        "Snapshot the disk before deleting it",
        "The snapshot is READY",
    ),
    "volume_delete": (
        "Delete the disk",
        "The disk is gone and charges stopped",
    ),
    "resource_owner": (
        "Confirm with the owner that the resource is not needed",
        "The owner has confirmed",
    ),
    "resource_backup": (
        "Back up the data, if there is any",
        "The backup is verified",
    ),
    "resource_delete": (
        "Delete the resource",
        "The resource is gone and charges stopped",
    ),
    "server_snapshot": (
        "Snapshot the server's disks",
        "The snapshot is READY",
    ),
    "server_owner": (
        "Confirm with the owner that the server is not needed",
        "The owner has confirmed",
    ),
    "server_delete": (
        "Delete the server with its disks",
        "The server and disks are gone and charges stopped",
    ),
    "server_snapshot_cleanup": (
        "After a month, delete the snapshot if it was not needed",
        "The snapshot is deleted",
    ),
    "resize_peak_load": (
        "Check the peak load (p95 CPU and memory) over 30 days",
        "The p95 fits the new size with headroom",
    ),
    "resize_snapshot": (
        "Snapshot the disks",
        "The snapshot is READY",
    ),
    "resize_change": (
        "Change the configuration in a maintenance window",
        "The server is running and services respond",
    ),
    "resize_watch": (
        "Watch the load for a week",
        "No rise in latency or errors",
    ),
    "resize_rollback": (
        "Rollback plan: return to the previous configuration",
        "The rollback procedure is written down",
    ),
    "migrate_target": (
        "Create the target resource at the new provider",
        "The resource exists and is reachable",
    ),
    "migrate_data": (
        "Copy or replicate the data",
        "Sizes and checksums match",
    ),
    "migrate_dns_ttl": (
        "Lower the DNS records' TTL in advance (e.g. to 300 s)",
        "The new TTL shows in DNS answers",
    ),
    "migrate_switch": (
        "Switch traffic to the new resource",
        "The service answers from the new address",
    ),
    "migrate_verify": (
        "Check the service and its metrics",
        "No errors or degradation for a day",
    ),
    "migrate_rollback": (
        "Rollback plan: point DNS back to the old one",
        "The old resource is not deleted yet",
    ),
    "migrate_cleanup": (
        "Delete the old resource after the observation period",
        "Charges at the old provider stopped",
    ),
    "shutdown_hours": (
        "Agree the working hours with the team",
        "The schedule is approved",
    ),
    "shutdown_automate": (
        "Set up automatic shutdown and start-up",
        "It stopped and started on schedule",
    ),
    "shutdown_verify": (
        "Check the savings next month",
        "Spending went down",
    ),
    "commit_steady_load": (
        "Check that the load was steady for 90 days",
        "The resource runs without breaks",
    ),
    "commit_buy": (
        "Buy the commitment from the provider",
        "The commitment is active",
    ),
    "commit_verify": (
        "Check the first bill after the commitment",
        "The price went down",
    ),
    "review_owner": (
        "Review the recommendation with the resource's owner",
        "A decision is made",
    ),
    "review_change": (
        "Make the change in a maintenance window",
        "The service works",
    ),
    "review_verify": (
        "Check the spending next month",
        "Spending went down",
    ),
    "migrate_compatibility": (
        "Check that the new provider supports the DBMS or cluster versions and settings",
        "The version and settings are supported",
    ),
}

# estimate_migration_effort: reason code → detail; {value} is the figure the detail quotes.
REASONS: dict[str, str] = {
    "migrate_cluster": (
        "moving a managed cluster or database: replication and switching clients over"
    ),
    "migrate_server": "moving a server to another provider: a new VM, copying data, switching over",
    "resize_restart": "changing the configuration needs a restart",
    "shutdown_schedule": "needs a start and stop schedule",
    "no_data_moved": "a deletion or change without moving data",
    "data_volume": "data volume {value:g} GB",
    "external_ip": "the external IP will change: update DNS and access rules",
    "attached_disks": "attached disks: {value:g}",
    "kubernetes_node": "a Kubernetes node: change it through the cluster's node group",
    "production": "production: needs a maintenance window",
    "beget_target": "Beget suits dev/test, not production clusters and databases",
}

# estimate_migration_effort: caveat code → caveat.
CAVEATS: dict[str, str] = {
    "beget_target": "Beget is dev/test grade for production Kubernetes and databases.",
    "rule_complex": "The recommendation's own rule rates the move as complex.",
}
