"""agentload.protocols.http"""
