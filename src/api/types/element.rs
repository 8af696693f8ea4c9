//! Message elements (`MsgBody` entries), stored exactly as given (a JSON value, key order kept)
//! so that no content is lost or reshaped between a staged file and the request bytes; the four
//! element types the import page documents have typed views on top ([`MsgElement::typed`]).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The element types the import page documents.
pub const TEXT: &str = "TIMTextElem";
/// Emoji element.
pub const FACE: &str = "TIMFaceElem";
/// Location element.
pub const LOCATION: &str = "TIMLocationElem";
/// Custom element (at most one per message).
pub const CUSTOM: &str = "TIMCustomElem";
/// The four element types `import_group_msg` documents.
pub const DOCUMENTED_ELEMENT_TYPES: [&str; 4] = [TEXT, FACE, LOCATION, CUSTOM];

/// One element of `MsgBody`: `{"MsgType": ..., "MsgContent": {...}}`, kept exactly as given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MsgElement(pub Value);

/// A typed view of an element of one of the four documented types.
#[derive(Debug, Clone, PartialEq)]
pub enum TypedElement<'a> {
    /// `TIMTextElem`
    Text {
        /// `Text`
        text: &'a str,
    },
    /// `TIMFaceElem`
    Face {
        /// `Index`
        index: i64,
        /// `Data`
        data: Option<&'a str>,
    },
    /// `TIMLocationElem`
    Location {
        /// `Desc`
        desc: Option<&'a str>,
        /// `Latitude`
        latitude: f64,
        /// `Longitude`
        longitude: f64,
    },
    /// `TIMCustomElem`
    Custom {
        /// `Data`
        data: Option<&'a str>,
        /// `Desc`
        desc: Option<&'a str>,
        /// `Ext`
        ext: Option<&'a str>,
        /// `Sound`
        sound: Option<&'a str>,
    },
    /// Any other type, or a documented type whose required fields are missing.
    Other {
        /// `MsgType`, when it is a string.
        msg_type: Option<&'a str>,
        /// `MsgContent`, when present.
        content: Option<&'a Value>,
    },
}

impl MsgElement {
    /// A text element.
    pub fn text(text: &str) -> Self {
        MsgElement(serde_json::json!({"MsgType": TEXT, "MsgContent": {"Text": text}}))
    }

    /// An emoji element.
    pub fn face(index: i64, data: &str) -> Self {
        MsgElement(
            serde_json::json!({"MsgType": FACE, "MsgContent": {"Index": index, "Data": data}}),
        )
    }

    /// A location element.
    pub fn location(desc: &str, latitude: f64, longitude: f64) -> Self {
        MsgElement(serde_json::json!({"MsgType": LOCATION, "MsgContent": {
            "Desc": desc, "Latitude": latitude, "Longitude": longitude}}))
    }

    /// A custom element.
    pub fn custom(data: &str, desc: &str, ext: &str, sound: &str) -> Self {
        MsgElement(serde_json::json!({"MsgType": CUSTOM, "MsgContent": {
            "Data": data, "Desc": desc, "Ext": ext, "Sound": sound}}))
    }

    /// `MsgType`, when it is a string.
    pub fn msg_type(&self) -> Option<&str> {
        self.0.get("MsgType").and_then(Value::as_str)
    }

    /// `MsgContent`, when present.
    pub fn content(&self) -> Option<&Value> {
        self.0.get("MsgContent")
    }

    /// The typed view; documented types missing a required field come back as `Other`.
    pub fn typed(&self) -> TypedElement<'_> {
        let content = self.content();
        let s = |name: &str| content.and_then(|c| c.get(name)).and_then(Value::as_str);
        let n = |name: &str| content.and_then(|c| c.get(name)).and_then(Value::as_f64);
        let typed = match self.msg_type() {
            Some(TEXT) => s("Text").map(|text| TypedElement::Text { text }),
            Some(FACE) => content
                .and_then(|c| c.get("Index"))
                .and_then(Value::as_i64)
                .map(|index| TypedElement::Face {
                    index,
                    data: s("Data"),
                }),
            Some(LOCATION) => match (n("Latitude"), n("Longitude")) {
                (Some(latitude), Some(longitude)) => Some(TypedElement::Location {
                    desc: s("Desc"),
                    latitude,
                    longitude,
                }),
                _ => None,
            },
            Some(CUSTOM) if content.is_some_and(Value::is_object) => Some(TypedElement::Custom {
                data: s("Data"),
                desc: s("Desc"),
                ext: s("Ext"),
                sound: s("Sound"),
            }),
            _ => None,
        };
        typed.unwrap_or(TypedElement::Other {
            msg_type: self.msg_type(),
            content,
        })
    }

    /// A short human summary: the text, or `[TIMFaceElem]`-style tags for other types.
    pub fn summary(&self) -> String {
        match self.typed() {
            TypedElement::Text { text } => text.to_owned(),
            TypedElement::Face { index, .. } => format!("[face {index}]"),
            TypedElement::Location { desc, .. } => {
                format!("[location {}]", desc.unwrap_or_default())
            }
            TypedElement::Custom { desc, .. } => format!("[custom {}]", desc.unwrap_or_default()),
            TypedElement::Other { msg_type, .. } => format!("[{}]", msg_type.unwrap_or("?")),
        }
    }
}
