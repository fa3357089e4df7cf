/** Access: users, credentials and tokens, API keys, the audit trail and four-eyes approvals. Depends on no feature. */
export * from './access-parties';
export * from './access.errors';
export * from './access.model';
export * from './access.module';
export * from './access.service';
export * from './access.types';
export * from './approvals.service';
export * from './audit.service';
export * from './first-admin';
export * from './hs256-jwt';
export * from './use-case-policy';
