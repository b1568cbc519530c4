/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  query Me {\n    me {\n      id\n      kind\n      roles\n      groups\n      user {\n        id\n        email\n        displayName\n      }\n    }\n  }\n": typeof types.MeDocument,
    "\n  query Reviews($status: String, $kind: String) {\n    reviews(status: $status, kind: $kind) {\n      id\n      kind\n      status\n      command\n      connectionId\n      connectionName\n      requesterId\n      requesterName\n      requesterPrincipalId\n      reason\n      requestedSeconds\n      ruleId\n      ruleName\n      sessionId\n      approverGroups\n      requiredApprovals\n      createdAt\n      expiresAt\n      decidedAt\n      decisions {\n        userId\n        userName\n        approved\n        comment\n        createdAt\n      }\n    }\n  }\n": typeof types.ReviewsDocument,
    "\n  subscription ReviewCreated {\n    reviewCreated {\n      id\n      kind\n      status\n      command\n      connectionId\n      connectionName\n      requesterId\n      requesterName\n      requesterPrincipalId\n      reason\n      requestedSeconds\n      ruleId\n      ruleName\n      sessionId\n      approverGroups\n      requiredApprovals\n      createdAt\n      expiresAt\n      decidedAt\n      decisions {\n        userId\n        userName\n        approved\n        comment\n        createdAt\n      }\n    }\n  }\n": typeof types.ReviewCreatedDocument,
    "\n  subscription ReviewDecided {\n    reviewDecided {\n      id\n      status\n      decidedAt\n      decisions {\n        userId\n        userName\n        approved\n        comment\n        createdAt\n      }\n    }\n  }\n": typeof types.ReviewDecidedDocument,
    "\n  mutation ApproveReview($id: ID!, $comment: String) {\n    approveReview(id: $id, comment: $comment) {\n      id\n      status\n      decidedAt\n      decisions {\n        userId\n        userName\n        approved\n        comment\n        createdAt\n      }\n    }\n  }\n": typeof types.ApproveReviewDocument,
    "\n  mutation RejectReview($id: ID!, $comment: String) {\n    rejectReview(id: $id, comment: $comment) {\n      id\n      status\n      decidedAt\n      decisions {\n        userId\n        userName\n        approved\n        comment\n        createdAt\n      }\n    }\n  }\n": typeof types.RejectReviewDocument,
    "\n  query SessionContext($sessionId: ID!) {\n    sessionRecording(sessionId: $sessionId, limit: 100) {\n      sessionId\n      events {\n        seq\n        index\n        at\n        type\n        json\n      }\n    }\n  }\n": typeof types.SessionContextDocument,
    "\n  query Connections {\n    connections {\n      id\n      name\n      protocol\n      targetHost\n      targetPort\n      targetDatabase\n      targetUser\n      tlsMode\n      recordingMode\n      agentId\n      agentGroupId\n      createdAt\n    }\n  }\n": typeof types.ConnectionsDocument,
    "\n  query MyGrants {\n    grants {\n      id\n      connectionId\n      operations\n      expiresAt\n      createdAt\n    }\n  }\n": typeof types.MyGrantsDocument,
    "\n  mutation RequestAccess($input: RequestAccessInput!) {\n    requestAccess(input: $input) {\n      id\n      kind\n      status\n      connectionId\n      connectionName\n      requesterId\n      requesterName\n      requesterPrincipalId\n      reason\n      requestedSeconds\n      approverGroups\n      requiredApprovals\n      createdAt\n      expiresAt\n      decidedAt\n      decisions {\n        userId\n        userName\n        approved\n        comment\n        createdAt\n      }\n    }\n  }\n": typeof types.RequestAccessDocument,
    "\n  mutation MintMyCredential($connectionId: ID!) {\n    mintMyConnectionCredential(connectionId: $connectionId) {\n      database\n      password\n      credential {\n        id\n        expiresAt\n      }\n    }\n  }\n": typeof types.MintMyCredentialDocument,
    "\n  query Sessions($status: String, $connectionId: ID, $principalId: String, $limit: Int) {\n    sessions(status: $status, connectionId: $connectionId, principalId: $principalId, limit: $limit) {\n      id\n      connectionId\n      connectionName\n      principalId\n      principalName\n      principalKind\n      status\n      startedAt\n      endedAt\n      endReason\n      statementCount\n      ingress\n    }\n  }\n": typeof types.SessionsDocument,
    "\n  query Session($id: ID!) {\n    session(id: $id) {\n      id\n      connectionId\n      connectionName\n      principalId\n      principalName\n      principalKind\n      status\n      startedAt\n      endedAt\n      endReason\n      statementCount\n      ingress\n      clientAddress\n      policyVersion\n      bytesFromClient\n      bytesFromTarget\n    }\n    verifySessionRecording(sessionId: $id) {\n      sessionId\n      ok\n      complete\n      purged\n      chunks\n      headHash\n      problems {\n        seq\n        problem\n        detail\n      }\n    }\n  }\n": typeof types.SessionDocument,
    "\n  query SessionRecording($sessionId: ID!, $afterSeq: Int) {\n    sessionRecording(sessionId: $sessionId, afterSeq: $afterSeq, limit: 100) {\n      sessionId\n      complete\n      purged\n      truncated\n      nextSeq\n      events {\n        seq\n        index\n        at\n        type\n        json\n      }\n    }\n  }\n": typeof types.SessionRecordingDocument,
    "\n  mutation TerminateSession($id: ID!) {\n    terminateSession(id: $id) {\n      id\n      status\n      endedAt\n      endReason\n    }\n  }\n": typeof types.TerminateSessionDocument,
    "\n  query AuditEvents($filter: AuditEventFilter, $after: String, $first: Int) {\n    auditEvents(filter: $filter, after: $after, first: $first) {\n      nextCursor\n      events {\n        id\n        seq\n        at\n        kind\n        actorKind\n        actorId\n        decision\n        connectionId\n        sessionId\n        ruleId\n        detailsJson\n      }\n    }\n  }\n": typeof types.AuditEventsDocument,
    "\n  query VerifyAudit {\n    verifyAuditLog {\n      ok\n      checked\n      legacy\n      fromSeq\n      toSeq\n      firstBadSeq\n      headHash\n      problemCount\n      problems {\n        seq\n        problem\n        detail\n      }\n    }\n  }\n": typeof types.VerifyAuditDocument,
    "\n  query MaskingRules {\n    maskingRules {\n      id\n      name\n      enabled\n      dialect\n      connectionIds\n      exemptGroups\n      spec {\n        columns\n        detectors\n        style\n        customPatterns {\n          name\n          regex\n        }\n      }\n      updatedAt\n    }\n  }\n": typeof types.MaskingRulesDocument,
    "\n  mutation CreateMaskingRule($input: CreateMaskingRuleInput!) {\n    createMaskingRule(input: $input) {\n      id\n      name\n      enabled\n      dialect\n      connectionIds\n      exemptGroups\n      spec {\n        columns\n        detectors\n        style\n        customPatterns {\n          name\n          regex\n        }\n      }\n      updatedAt\n    }\n  }\n": typeof types.CreateMaskingRuleDocument,
    "\n  mutation DeleteMaskingRule($id: ID!) {\n    deleteMaskingRule(id: $id) {\n      id\n    }\n  }\n": typeof types.DeleteMaskingRuleDocument,
};
const documents: Documents = {
    "\n  query Me {\n    me {\n      id\n      kind\n      roles\n      groups\n      user {\n        id\n        email\n        displayName\n      }\n    }\n  }\n": types.MeDocument,
    "\n  query Reviews($status: String, $kind: String) {\n    reviews(status: $status, kind: $kind) {\n      id\n      kind\n      status\n      command\n      connectionId\n      connectionName\n      requesterId\n      requesterName\n      requesterPrincipalId\n      reason\n      requestedSeconds\n      ruleId\n      ruleName\n      sessionId\n      approverGroups\n      requiredApprovals\n      createdAt\n      expiresAt\n      decidedAt\n      decisions {\n        userId\n        userName\n        approved\n        comment\n        createdAt\n      }\n    }\n  }\n": types.ReviewsDocument,
    "\n  subscription ReviewCreated {\n    reviewCreated {\n      id\n      kind\n      status\n      command\n      connectionId\n      connectionName\n      requesterId\n      requesterName\n      requesterPrincipalId\n      reason\n      requestedSeconds\n      ruleId\n      ruleName\n      sessionId\n      approverGroups\n      requiredApprovals\n      createdAt\n      expiresAt\n      decidedAt\n      decisions {\n        userId\n        userName\n        approved\n        comment\n        createdAt\n      }\n    }\n  }\n": types.ReviewCreatedDocument,
    "\n  subscription ReviewDecided {\n    reviewDecided {\n      id\n      status\n      decidedAt\n      decisions {\n        userId\n        userName\n        approved\n        comment\n        createdAt\n      }\n    }\n  }\n": types.ReviewDecidedDocument,
    "\n  mutation ApproveReview($id: ID!, $comment: String) {\n    approveReview(id: $id, comment: $comment) {\n      id\n      status\n      decidedAt\n      decisions {\n        userId\n        userName\n        approved\n        comment\n        createdAt\n      }\n    }\n  }\n": types.ApproveReviewDocument,
    "\n  mutation RejectReview($id: ID!, $comment: String) {\n    rejectReview(id: $id, comment: $comment) {\n      id\n      status\n      decidedAt\n      decisions {\n        userId\n        userName\n        approved\n        comment\n        createdAt\n      }\n    }\n  }\n": types.RejectReviewDocument,
    "\n  query SessionContext($sessionId: ID!) {\n    sessionRecording(sessionId: $sessionId, limit: 100) {\n      sessionId\n      events {\n        seq\n        index\n        at\n        type\n        json\n      }\n    }\n  }\n": types.SessionContextDocument,
    "\n  query Connections {\n    connections {\n      id\n      name\n      protocol\n      targetHost\n      targetPort\n      targetDatabase\n      targetUser\n      tlsMode\n      recordingMode\n      agentId\n      agentGroupId\n      createdAt\n    }\n  }\n": types.ConnectionsDocument,
    "\n  query MyGrants {\n    grants {\n      id\n      connectionId\n      operations\n      expiresAt\n      createdAt\n    }\n  }\n": types.MyGrantsDocument,
    "\n  mutation RequestAccess($input: RequestAccessInput!) {\n    requestAccess(input: $input) {\n      id\n      kind\n      status\n      connectionId\n      connectionName\n      requesterId\n      requesterName\n      requesterPrincipalId\n      reason\n      requestedSeconds\n      approverGroups\n      requiredApprovals\n      createdAt\n      expiresAt\n      decidedAt\n      decisions {\n        userId\n        userName\n        approved\n        comment\n        createdAt\n      }\n    }\n  }\n": types.RequestAccessDocument,
    "\n  mutation MintMyCredential($connectionId: ID!) {\n    mintMyConnectionCredential(connectionId: $connectionId) {\n      database\n      password\n      credential {\n        id\n        expiresAt\n      }\n    }\n  }\n": types.MintMyCredentialDocument,
    "\n  query Sessions($status: String, $connectionId: ID, $principalId: String, $limit: Int) {\n    sessions(status: $status, connectionId: $connectionId, principalId: $principalId, limit: $limit) {\n      id\n      connectionId\n      connectionName\n      principalId\n      principalName\n      principalKind\n      status\n      startedAt\n      endedAt\n      endReason\n      statementCount\n      ingress\n    }\n  }\n": types.SessionsDocument,
    "\n  query Session($id: ID!) {\n    session(id: $id) {\n      id\n      connectionId\n      connectionName\n      principalId\n      principalName\n      principalKind\n      status\n      startedAt\n      endedAt\n      endReason\n      statementCount\n      ingress\n      clientAddress\n      policyVersion\n      bytesFromClient\n      bytesFromTarget\n    }\n    verifySessionRecording(sessionId: $id) {\n      sessionId\n      ok\n      complete\n      purged\n      chunks\n      headHash\n      problems {\n        seq\n        problem\n        detail\n      }\n    }\n  }\n": types.SessionDocument,
    "\n  query SessionRecording($sessionId: ID!, $afterSeq: Int) {\n    sessionRecording(sessionId: $sessionId, afterSeq: $afterSeq, limit: 100) {\n      sessionId\n      complete\n      purged\n      truncated\n      nextSeq\n      events {\n        seq\n        index\n        at\n        type\n        json\n      }\n    }\n  }\n": types.SessionRecordingDocument,
    "\n  mutation TerminateSession($id: ID!) {\n    terminateSession(id: $id) {\n      id\n      status\n      endedAt\n      endReason\n    }\n  }\n": types.TerminateSessionDocument,
    "\n  query AuditEvents($filter: AuditEventFilter, $after: String, $first: Int) {\n    auditEvents(filter: $filter, after: $after, first: $first) {\n      nextCursor\n      events {\n        id\n        seq\n        at\n        kind\n        actorKind\n        actorId\n        decision\n        connectionId\n        sessionId\n        ruleId\n        detailsJson\n      }\n    }\n  }\n": types.AuditEventsDocument,
    "\n  query VerifyAudit {\n    verifyAuditLog {\n      ok\n      checked\n      legacy\n      fromSeq\n      toSeq\n      firstBadSeq\n      headHash\n      problemCount\n      problems {\n        seq\n        problem\n        detail\n      }\n    }\n  }\n": types.VerifyAuditDocument,
    "\n  query MaskingRules {\n    maskingRules {\n      id\n      name\n      enabled\n      dialect\n      connectionIds\n      exemptGroups\n      spec {\n        columns\n        detectors\n        style\n        customPatterns {\n          name\n          regex\n        }\n      }\n      updatedAt\n    }\n  }\n": types.MaskingRulesDocument,
    "\n  mutation CreateMaskingRule($input: CreateMaskingRuleInput!) {\n    createMaskingRule(input: $input) {\n      id\n      name\n      enabled\n      dialect\n      connectionIds\n      exemptGroups\n      spec {\n        columns\n        detectors\n        style\n        customPatterns {\n          name\n          regex\n        }\n      }\n      updatedAt\n    }\n  }\n": types.CreateMaskingRuleDocument,
    "\n  mutation DeleteMaskingRule($id: ID!) {\n    deleteMaskingRule(id: $id) {\n      id\n    }\n  }\n": types.DeleteMaskingRuleDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Me {\n    me {\n      id\n      kind\n      roles\n      groups\n      user {\n        id\n        email\n        displayName\n      }\n    }\n  }\n"): (typeof documents)["\n  query Me {\n    me {\n      id\n      kind\n      roles\n      groups\n      user {\n        id\n        email\n        displayName\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Reviews($status: String, $kind: String) {\n    reviews(status: $status, kind: $kind) {\n      id\n      kind\n      status\n      command\n      connectionId\n      connectionName\n      requesterId\n      requesterName\n      requesterPrincipalId\n      reason\n      requestedSeconds\n      ruleId\n      ruleName\n      sessionId\n      approverGroups\n      requiredApprovals\n      createdAt\n      expiresAt\n      decidedAt\n      decisions {\n        userId\n        userName\n        approved\n        comment\n        createdAt\n      }\n    }\n  }\n"): (typeof documents)["\n  query Reviews($status: String, $kind: String) {\n    reviews(status: $status, kind: $kind) {\n      id\n      kind\n      status\n      command\n      connectionId\n      connectionName\n      requesterId\n      requesterName\n      requesterPrincipalId\n      reason\n      requestedSeconds\n      ruleId\n      ruleName\n      sessionId\n      approverGroups\n      requiredApprovals\n      createdAt\n      expiresAt\n      decidedAt\n      decisions {\n        userId\n        userName\n        approved\n        comment\n        createdAt\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription ReviewCreated {\n    reviewCreated {\n      id\n      kind\n      status\n      command\n      connectionId\n      connectionName\n      requesterId\n      requesterName\n      requesterPrincipalId\n      reason\n      requestedSeconds\n      ruleId\n      ruleName\n      sessionId\n      approverGroups\n      requiredApprovals\n      createdAt\n      expiresAt\n      decidedAt\n      decisions {\n        userId\n        userName\n        approved\n        comment\n        createdAt\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription ReviewCreated {\n    reviewCreated {\n      id\n      kind\n      status\n      command\n      connectionId\n      connectionName\n      requesterId\n      requesterName\n      requesterPrincipalId\n      reason\n      requestedSeconds\n      ruleId\n      ruleName\n      sessionId\n      approverGroups\n      requiredApprovals\n      createdAt\n      expiresAt\n      decidedAt\n      decisions {\n        userId\n        userName\n        approved\n        comment\n        createdAt\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription ReviewDecided {\n    reviewDecided {\n      id\n      status\n      decidedAt\n      decisions {\n        userId\n        userName\n        approved\n        comment\n        createdAt\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription ReviewDecided {\n    reviewDecided {\n      id\n      status\n      decidedAt\n      decisions {\n        userId\n        userName\n        approved\n        comment\n        createdAt\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ApproveReview($id: ID!, $comment: String) {\n    approveReview(id: $id, comment: $comment) {\n      id\n      status\n      decidedAt\n      decisions {\n        userId\n        userName\n        approved\n        comment\n        createdAt\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation ApproveReview($id: ID!, $comment: String) {\n    approveReview(id: $id, comment: $comment) {\n      id\n      status\n      decidedAt\n      decisions {\n        userId\n        userName\n        approved\n        comment\n        createdAt\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RejectReview($id: ID!, $comment: String) {\n    rejectReview(id: $id, comment: $comment) {\n      id\n      status\n      decidedAt\n      decisions {\n        userId\n        userName\n        approved\n        comment\n        createdAt\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation RejectReview($id: ID!, $comment: String) {\n    rejectReview(id: $id, comment: $comment) {\n      id\n      status\n      decidedAt\n      decisions {\n        userId\n        userName\n        approved\n        comment\n        createdAt\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SessionContext($sessionId: ID!) {\n    sessionRecording(sessionId: $sessionId, limit: 100) {\n      sessionId\n      events {\n        seq\n        index\n        at\n        type\n        json\n      }\n    }\n  }\n"): (typeof documents)["\n  query SessionContext($sessionId: ID!) {\n    sessionRecording(sessionId: $sessionId, limit: 100) {\n      sessionId\n      events {\n        seq\n        index\n        at\n        type\n        json\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Connections {\n    connections {\n      id\n      name\n      protocol\n      targetHost\n      targetPort\n      targetDatabase\n      targetUser\n      tlsMode\n      recordingMode\n      agentId\n      agentGroupId\n      createdAt\n    }\n  }\n"): (typeof documents)["\n  query Connections {\n    connections {\n      id\n      name\n      protocol\n      targetHost\n      targetPort\n      targetDatabase\n      targetUser\n      tlsMode\n      recordingMode\n      agentId\n      agentGroupId\n      createdAt\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query MyGrants {\n    grants {\n      id\n      connectionId\n      operations\n      expiresAt\n      createdAt\n    }\n  }\n"): (typeof documents)["\n  query MyGrants {\n    grants {\n      id\n      connectionId\n      operations\n      expiresAt\n      createdAt\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RequestAccess($input: RequestAccessInput!) {\n    requestAccess(input: $input) {\n      id\n      kind\n      status\n      connectionId\n      connectionName\n      requesterId\n      requesterName\n      requesterPrincipalId\n      reason\n      requestedSeconds\n      approverGroups\n      requiredApprovals\n      createdAt\n      expiresAt\n      decidedAt\n      decisions {\n        userId\n        userName\n        approved\n        comment\n        createdAt\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation RequestAccess($input: RequestAccessInput!) {\n    requestAccess(input: $input) {\n      id\n      kind\n      status\n      connectionId\n      connectionName\n      requesterId\n      requesterName\n      requesterPrincipalId\n      reason\n      requestedSeconds\n      approverGroups\n      requiredApprovals\n      createdAt\n      expiresAt\n      decidedAt\n      decisions {\n        userId\n        userName\n        approved\n        comment\n        createdAt\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation MintMyCredential($connectionId: ID!) {\n    mintMyConnectionCredential(connectionId: $connectionId) {\n      database\n      password\n      credential {\n        id\n        expiresAt\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation MintMyCredential($connectionId: ID!) {\n    mintMyConnectionCredential(connectionId: $connectionId) {\n      database\n      password\n      credential {\n        id\n        expiresAt\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Sessions($status: String, $connectionId: ID, $principalId: String, $limit: Int) {\n    sessions(status: $status, connectionId: $connectionId, principalId: $principalId, limit: $limit) {\n      id\n      connectionId\n      connectionName\n      principalId\n      principalName\n      principalKind\n      status\n      startedAt\n      endedAt\n      endReason\n      statementCount\n      ingress\n    }\n  }\n"): (typeof documents)["\n  query Sessions($status: String, $connectionId: ID, $principalId: String, $limit: Int) {\n    sessions(status: $status, connectionId: $connectionId, principalId: $principalId, limit: $limit) {\n      id\n      connectionId\n      connectionName\n      principalId\n      principalName\n      principalKind\n      status\n      startedAt\n      endedAt\n      endReason\n      statementCount\n      ingress\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Session($id: ID!) {\n    session(id: $id) {\n      id\n      connectionId\n      connectionName\n      principalId\n      principalName\n      principalKind\n      status\n      startedAt\n      endedAt\n      endReason\n      statementCount\n      ingress\n      clientAddress\n      policyVersion\n      bytesFromClient\n      bytesFromTarget\n    }\n    verifySessionRecording(sessionId: $id) {\n      sessionId\n      ok\n      complete\n      purged\n      chunks\n      headHash\n      problems {\n        seq\n        problem\n        detail\n      }\n    }\n  }\n"): (typeof documents)["\n  query Session($id: ID!) {\n    session(id: $id) {\n      id\n      connectionId\n      connectionName\n      principalId\n      principalName\n      principalKind\n      status\n      startedAt\n      endedAt\n      endReason\n      statementCount\n      ingress\n      clientAddress\n      policyVersion\n      bytesFromClient\n      bytesFromTarget\n    }\n    verifySessionRecording(sessionId: $id) {\n      sessionId\n      ok\n      complete\n      purged\n      chunks\n      headHash\n      problems {\n        seq\n        problem\n        detail\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SessionRecording($sessionId: ID!, $afterSeq: Int) {\n    sessionRecording(sessionId: $sessionId, afterSeq: $afterSeq, limit: 100) {\n      sessionId\n      complete\n      purged\n      truncated\n      nextSeq\n      events {\n        seq\n        index\n        at\n        type\n        json\n      }\n    }\n  }\n"): (typeof documents)["\n  query SessionRecording($sessionId: ID!, $afterSeq: Int) {\n    sessionRecording(sessionId: $sessionId, afterSeq: $afterSeq, limit: 100) {\n      sessionId\n      complete\n      purged\n      truncated\n      nextSeq\n      events {\n        seq\n        index\n        at\n        type\n        json\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation TerminateSession($id: ID!) {\n    terminateSession(id: $id) {\n      id\n      status\n      endedAt\n      endReason\n    }\n  }\n"): (typeof documents)["\n  mutation TerminateSession($id: ID!) {\n    terminateSession(id: $id) {\n      id\n      status\n      endedAt\n      endReason\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AuditEvents($filter: AuditEventFilter, $after: String, $first: Int) {\n    auditEvents(filter: $filter, after: $after, first: $first) {\n      nextCursor\n      events {\n        id\n        seq\n        at\n        kind\n        actorKind\n        actorId\n        decision\n        connectionId\n        sessionId\n        ruleId\n        detailsJson\n      }\n    }\n  }\n"): (typeof documents)["\n  query AuditEvents($filter: AuditEventFilter, $after: String, $first: Int) {\n    auditEvents(filter: $filter, after: $after, first: $first) {\n      nextCursor\n      events {\n        id\n        seq\n        at\n        kind\n        actorKind\n        actorId\n        decision\n        connectionId\n        sessionId\n        ruleId\n        detailsJson\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query VerifyAudit {\n    verifyAuditLog {\n      ok\n      checked\n      legacy\n      fromSeq\n      toSeq\n      firstBadSeq\n      headHash\n      problemCount\n      problems {\n        seq\n        problem\n        detail\n      }\n    }\n  }\n"): (typeof documents)["\n  query VerifyAudit {\n    verifyAuditLog {\n      ok\n      checked\n      legacy\n      fromSeq\n      toSeq\n      firstBadSeq\n      headHash\n      problemCount\n      problems {\n        seq\n        problem\n        detail\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query MaskingRules {\n    maskingRules {\n      id\n      name\n      enabled\n      dialect\n      connectionIds\n      exemptGroups\n      spec {\n        columns\n        detectors\n        style\n        customPatterns {\n          name\n          regex\n        }\n      }\n      updatedAt\n    }\n  }\n"): (typeof documents)["\n  query MaskingRules {\n    maskingRules {\n      id\n      name\n      enabled\n      dialect\n      connectionIds\n      exemptGroups\n      spec {\n        columns\n        detectors\n        style\n        customPatterns {\n          name\n          regex\n        }\n      }\n      updatedAt\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateMaskingRule($input: CreateMaskingRuleInput!) {\n    createMaskingRule(input: $input) {\n      id\n      name\n      enabled\n      dialect\n      connectionIds\n      exemptGroups\n      spec {\n        columns\n        detectors\n        style\n        customPatterns {\n          name\n          regex\n        }\n      }\n      updatedAt\n    }\n  }\n"): (typeof documents)["\n  mutation CreateMaskingRule($input: CreateMaskingRuleInput!) {\n    createMaskingRule(input: $input) {\n      id\n      name\n      enabled\n      dialect\n      connectionIds\n      exemptGroups\n      spec {\n        columns\n        detectors\n        style\n        customPatterns {\n          name\n          regex\n        }\n      }\n      updatedAt\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeleteMaskingRule($id: ID!) {\n    deleteMaskingRule(id: $id) {\n      id\n    }\n  }\n"): (typeof documents)["\n  mutation DeleteMaskingRule($id: ID!) {\n    deleteMaskingRule(id: $id) {\n      id\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;