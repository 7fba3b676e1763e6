//! Integration tests for the workspace; see the modules below.
#![cfg(test)]

mod raw_client;
mod sdk;
