//! [`SharedList`]: a persistent, append-only list whose copies share what they have in common.
//!
//! A list is a chain of nodes, each holding a few items and pointing at the list it extends. Cloning a
//! list copies one pointer; appending to a list that shares its last node with another copy adds a
//! node pointing at it, and appending to a list that owns its last node alone fills that node in
//! place. So a result that is "its input plus one item" costs one item, however long the input: the
//! image lists and property lists of `f ^ N` grow linearly in N, not quadratically.
//!
//! A node is never changed once another list can see it, so two lists with the same last node hold
//! the same items, and a list contains another as a prefix exactly when the other's last node is one
//! of its nodes (lists that are equal item by item but built apart are told equal by walking them).
//! Walks never recurse: chains may be a million nodes long.

use std::collections::TryReserveError;
use std::sync::Arc;

use smallvec::SmallVec;

/// Items a node holds without an allocation of their own.
const INLINE: usize = 2;

/// A persistent list (see the module documentation). Cloning is O(1) and shares every item.
pub struct SharedList<T> {
    head: Option<Arc<Node<T>>>,
}

struct Node<T> {
    /// The list this node extends.
    parent: Option<Arc<Node<T>>>,
    /// How many items the parent list has.
    base: usize,
    /// How many nodes the parent list has.
    depth: usize,
    /// This node's items, after the parent's. Filled in place only while the node is not shared.
    items: SmallVec<[T; INLINE]>,
}

impl<T> Node<T> {
    fn len(&self) -> usize {
        self.base + self.items.len()
    }
}

impl<T> Drop for Node<T> {
    fn drop(&mut self) {
        // Releases the chain one node at a time, so that dropping a long list cannot overflow the stack.
        let mut next = self.parent.take();
        while let Some(node) = next {
            next = Arc::into_inner(node).and_then(|mut n| n.parent.take());
        }
    }
}

impl<T> Default for SharedList<T> {
    fn default() -> Self {
        SharedList { head: None }
    }
}

impl<T> Clone for SharedList<T> {
    fn clone(&self) -> Self {
        SharedList { head: self.head.clone() }
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for SharedList<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<T> From<Vec<T>> for SharedList<T> {
    /// A list of `items` (no copy: the vector's buffer becomes the list's only node).
    fn from(items: Vec<T>) -> Self {
        let mut list = SharedList::new();
        list.append_vec(items);
        list
    }
}

impl<T> SharedList<T> {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of items.
    pub fn len(&self) -> usize {
        self.head.as_ref().map_or(0, |h| h.len())
    }

    /// Whether the list has no items.
    pub fn is_empty(&self) -> bool {
        self.head.is_none()
    }

    /// Appends `item`: in place when this list owns its last node alone and the node has room,
    /// otherwise in a new node that shares the rest. Allocates at most one fixed-size node.
    pub fn push(&mut self, item: T) {
        if let Some(node) = self.head.as_mut().and_then(Arc::get_mut) {
            if node.items.len() < node.items.capacity() {
                node.items.push(item);
                return;
            }
        }
        let mut items = SmallVec::new();
        items.push(item);
        self.extend_with(items);
    }

    /// Appends every item of `items` in order, as one node (the vector's buffer is kept, not copied).
    pub fn append_vec(&mut self, items: Vec<T>) {
        if items.is_empty() {
            return;
        }
        if let Some(node) = self.head.as_mut().and_then(Arc::get_mut) {
            if node.items.capacity() - node.items.len() >= items.len() {
                node.items.extend(items);
                return;
            }
        }
        self.extend_with(SmallVec::from_vec(items));
    }

    /// Appends a node holding `items` (not empty).
    fn extend_with(&mut self, items: SmallVec<[T; INLINE]>) {
        let parent = self.head.take();
        let (base, depth) = parent.as_ref().map_or((0, 0), |p| (p.len(), p.depth + 1));
        self.head = Some(Arc::new(Node { parent, base, depth, items }));
    }

    /// Appends the items of `other`, sharing them: this list becomes a copy of `other` when it is
    /// empty; otherwise `other`'s items are cloned into one new node.
    pub fn try_append_list(&mut self, other: &SharedList<T>) -> Result<(), TryReserveError>
    where
        T: Clone,
    {
        if self.is_empty() {
            *self = other.clone();
            return Ok(());
        }
        let items = other.try_to_vec()?;
        self.append_vec(items);
        Ok(())
    }

    /// The items in order.
    pub fn iter(&self) -> Iter<'_, T> {
        Iter::new(self.head.as_deref())
    }

    /// The items from the last to the first (no allocation).
    pub fn iter_rev(&self) -> RevIter<'_, T> {
        RevIter { node: self.head.as_deref(), items: [].iter().rev(), remaining: self.len() }
    }

    /// The first item (found by walking back from the end: O(nodes)).
    pub fn first(&self) -> Option<&T> {
        self.get(0)
    }

    /// The last item.
    pub fn last(&self) -> Option<&T> {
        self.head.as_ref().and_then(|h| h.items.last())
    }

    /// The item at `index`, found by walking back from the end: O(1) for the last node's items,
    /// O(nodes) otherwise.
    pub fn get(&self, index: usize) -> Option<&T> {
        let mut node = self.head.as_deref()?;
        if index >= node.len() {
            return None;
        }
        while index < node.base {
            node = node.parent.as_deref().expect("a node with a base has a parent");
        }
        node.items.get(index - node.base)
    }

    /// The items as one slice when they are in one node (an empty list or one built in one step),
    /// without copying.
    pub fn as_slice(&self) -> Option<&[T]> {
        match &self.head {
            None => Some(&[]),
            Some(h) if h.parent.is_none() => Some(&h.items),
            Some(_) => None,
        }
    }

    /// A vector of the items in order, or an error when it cannot be allocated.
    pub fn try_to_vec(&self) -> Result<Vec<T>, TryReserveError>
    where
        T: Clone,
    {
        let mut out = Vec::new();
        out.try_reserve_exact(self.len())?;
        out.extend(self.iter().cloned());
        Ok(out)
    }

    /// Whether the two lists are the same list: the same last node (so the same items), or both empty.
    pub fn ptr_eq(&self, other: &SharedList<T>) -> bool {
        match (&self.head, &other.head) {
            (None, None) => true,
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }

    /// Whether `prefix` is this list or a list this one extends (an empty list is a prefix of every
    /// list). Structural: O(nodes between the two ends), no item is compared. A list equal to a
    /// prefix item by item but built apart is not found.
    pub fn starts_with(&self, prefix: &SharedList<T>) -> bool {
        let Some(target) = prefix.head.as_deref() else { return true };
        let mut node = self.head.as_deref();
        while let Some(n) = node {
            if n.depth < target.depth {
                return false;
            }
            if std::ptr::eq(n, target) {
                return true;
            }
            node = n.parent.as_deref();
        }
        false
    }

    /// Whether the two lists hold equal items (by `eq`) in the same order. O(1) when they are the same
    /// list; otherwise they are compared from the end, and the walk stops where they share a node.
    pub fn same_by(&self, other: &SharedList<T>, eq: impl Fn(&T, &T) -> bool) -> bool {
        if self.len() != other.len() {
            return false;
        }
        let (mut a, mut b) = (self.head.as_deref(), other.head.as_deref());
        // Positions inside the current nodes, counted from their ends.
        let (mut i, mut j) = (0, 0);
        loop {
            let (Some(x), Some(y)) = (a, b) else { return true };
            if std::ptr::eq(x, y) && i == j {
                return true;
            }
            if i == x.items.len() {
                (a, i) = (x.parent.as_deref(), 0);
                continue;
            }
            if j == y.items.len() {
                (b, j) = (y.parent.as_deref(), 0);
                continue;
            }
            if !eq(&x.items[x.items.len() - 1 - i], &y.items[y.items.len() - 1 - j]) {
                return false;
            }
            (i, j) = (i + 1, j + 1);
        }
    }

    /// A copy of this list with some items replaced: `replace` is called once on each item, in order,
    /// and returns its replacement or `None` to keep it. `Ok(None)` when nothing is replaced (nothing
    /// is allocated then); otherwise the copy shares the nodes before the first one with a
    /// replacement, and holds the rest in one new node.
    pub fn try_replace(
        &self,
        mut replace: impl FnMut(&T) -> Option<T>,
    ) -> Result<Option<SharedList<T>>, TryReserveError>
    where
        T: Clone,
    {
        let nodes = self.nodes()?;
        let mut copy: Option<(SharedList<T>, Vec<T>)> = None;
        for node in nodes.iter().rev() {
            for (k, item) in node.items.iter().enumerate() {
                let new = replace(item);
                match (&mut copy, new) {
                    (None, None) => {}
                    (None, Some(new)) => {
                        let mut rest = Vec::new();
                        rest.try_reserve_exact(self.len() - node.base)?;
                        rest.extend(node.items[..k].iter().cloned());
                        rest.push(new);
                        copy = Some((SharedList { head: node.parent.clone() }, rest));
                    }
                    (Some((_, rest)), new) => rest.push(new.unwrap_or_else(|| item.clone())),
                }
            }
        }
        Ok(copy.map(|(mut list, rest)| {
            list.append_vec(rest);
            list
        }))
    }

    /// The nodes from the last to the first (room for them is the only allocation of a forward walk).
    fn nodes(&self) -> Result<SmallVec<[&Node<T>; 8]>, TryReserveError> {
        let mut nodes = SmallVec::new();
        let Some(head) = self.head.as_deref() else { return Ok(nodes) };
        nodes.try_reserve(head.depth + 1).map_err(|_| too_many_nodes())?;
        let mut node = Some(head);
        while let Some(n) = node {
            nodes.push(n);
            node = n.parent.as_deref();
        }
        Ok(nodes)
    }
}

/// The error of a failed reservation for the nodes of a walk (smallvec reports its own error type).
fn too_many_nodes() -> TryReserveError {
    Vec::<u8>::new().try_reserve(usize::MAX).expect_err("more than isize::MAX bytes are never reserved")
}

/// The items of a [`SharedList`] in order.
pub struct Iter<'a, T> {
    /// The nodes still to visit, the next one last.
    nodes: SmallVec<[&'a Node<T>; 8]>,
    /// When there was no room for `nodes`: the last node, and how many nodes from the first have been
    /// visited (each next node is then found by walking back from the last, without allocating).
    fallback: Option<(&'a Node<T>, usize)>,
    items: std::slice::Iter<'a, T>,
    remaining: usize,
}

impl<'a, T> Iter<'a, T> {
    fn new(head: Option<&'a Node<T>>) -> Self {
        let remaining = head.map_or(0, Node::len);
        let mut iter = Iter { nodes: SmallVec::new(), fallback: None, items: [].iter(), remaining };
        if let Some(h) = head {
            if iter.nodes.try_reserve(h.depth + 1).is_ok() {
                let mut node = Some(h);
                while let Some(n) = node {
                    iter.nodes.push(n);
                    node = n.parent.as_deref();
                }
            } else {
                iter.fallback = Some((h, 0));
            }
        }
        iter
    }

    fn next_node(&mut self) -> Option<&'a Node<T>> {
        if let Some((head, visited)) = &mut self.fallback {
            let mut node = *head;
            if *visited > node.depth {
                return None;
            }
            while node.depth > *visited {
                node = node.parent.as_deref().expect("depth counts the parents");
            }
            *visited += 1;
            return Some(node);
        }
        self.nodes.pop()
    }
}

impl<'a, T> Iterator for Iter<'a, T> {
    type Item = &'a T;

    fn next(&mut self) -> Option<&'a T> {
        loop {
            if let Some(item) = self.items.next() {
                self.remaining -= 1;
                return Some(item);
            }
            self.items = self.next_node()?.items.iter();
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<T> ExactSizeIterator for Iter<'_, T> {}

/// The items of a [`SharedList`] from the last to the first.
pub struct RevIter<'a, T> {
    node: Option<&'a Node<T>>,
    items: std::iter::Rev<std::slice::Iter<'a, T>>,
    remaining: usize,
}

impl<'a, T> Iterator for RevIter<'a, T> {
    type Item = &'a T;

    fn next(&mut self) -> Option<&'a T> {
        loop {
            if let Some(item) = self.items.next() {
                self.remaining -= 1;
                return Some(item);
            }
            let node = self.node?;
            self.items = node.items.iter().rev();
            self.node = node.parent.as_deref();
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<T> ExactSizeIterator for RevIter<'_, T> {}

impl<'a, T> IntoIterator for &'a SharedList<T> {
    type Item = &'a T;
    type IntoIter = Iter<'a, T>;

    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(list: &SharedList<u32>) -> Vec<u32> {
        list.iter().copied().collect()
    }

    #[test]
    fn copies_share_their_prefix_and_appends_fill_unshared_nodes_in_place() {
        let mut a = SharedList::new();
        a.push(1);
        a.push(2);
        let head = a.head.as_ref().map(Arc::as_ptr);
        a.push(3); // the node is full (two inline items): a new node
        assert_ne!(a.head.as_ref().map(Arc::as_ptr), head);
        let mut b = a.clone();
        b.push(4); // shared: a new node on top of `a`'s
        a.push(5); // still shared with `b`'s parent: a new node too
        assert_eq!(items(&a), [1, 2, 3, 5]);
        assert_eq!(items(&b), [1, 2, 3, 4]);
        let rev: Vec<u32> = b.iter_rev().copied().collect();
        assert_eq!(rev, [4, 3, 2, 1]);
        assert!(b.starts_with(&SharedList::new()));
        let mut prefix = a.clone();
        prefix.head = a.head.as_ref().and_then(|h| h.parent.clone());
        assert!(a.starts_with(&prefix) && b.starts_with(&prefix) && !prefix.starts_with(&a));
        assert!(!a.starts_with(&b) && !b.starts_with(&a));
        assert_eq!((0..5).map(|i| b.get(i).copied()).collect::<Vec<_>>(), [Some(1), Some(2), Some(3), Some(4), None]);
        assert_eq!((b.first(), b.last(), b.len()), (Some(&1), Some(&4), 4));
    }

    #[test]
    fn lists_built_apart_compare_item_by_item_and_shared_ones_stop_early() {
        let mut a = SharedList::from(vec![1, 2, 3]);
        let mut b = SharedList::new();
        for x in [1, 2, 3] {
            b.push(x);
        }
        assert!(a.same_by(&b, |x, y| x == y) && !a.ptr_eq(&b));
        let mut c = a.clone();
        c.push(4);
        a.push(4);
        assert!(a.same_by(&c, |x, y| x == y));
        // Shared below the last node: the shared part is never compared.
        assert!(a.same_by(&c, |x, y| x == y && *x == 4));
        assert!(!a.same_by(&b, |x, y| x == y));
        b.push(5);
        assert!(!a.same_by(&b, |x, y| x == y));
        assert_eq!(a.as_slice(), None);
        assert_eq!(SharedList::from(vec![7, 8]).as_slice(), Some(&[7, 8][..]));
    }

    #[test]
    fn replace_shares_the_untouched_nodes() {
        let mut list = SharedList::from(vec![1, 2]);
        list.push(3);
        list.push(4);
        assert!(list.try_replace(|_| None).unwrap().is_none());
        let copy = list.try_replace(|&x| (x == 3).then_some(30)).unwrap().unwrap();
        assert_eq!(items(&copy), [1, 2, 30, 4]);
        assert_eq!(items(&list), [1, 2, 3, 4]);
        let first = SharedList { head: list.head.as_ref().and_then(|h| h.parent.clone()) };
        let first = SharedList { head: first.head.as_ref().and_then(|h| h.parent.clone()) };
        assert!(copy.starts_with(&first));
    }

    #[test]
    fn a_million_nodes_drop_and_walk_without_recursion() {
        let mut list = SharedList::new();
        let mut keep = Vec::new();
        for i in 0..1_000_000u32 {
            list.push(i);
            if i % 2 == 0 {
                keep.push(list.clone()); // shared: the next push makes a node
            }
        }
        drop(keep);
        assert_eq!(list.iter().len(), 1_000_000);
        assert_eq!(list.iter().nth(999_999), Some(&999_999));
        assert_eq!(list.iter_rev().last(), Some(&0));
        assert_eq!(list.get(123_456), Some(&123_456));
        drop(list); // 500,000 nodes, released one at a time
    }

    #[test]
    fn without_room_for_the_path_a_forward_walk_finds_each_node_from_the_end() {
        let mut list = SharedList::from(vec![0u32]);
        let mut keep = Vec::new();
        for i in 1..6 {
            keep.push(list.clone());
            list.push(i);
        }
        let mut iter = list.iter();
        iter.nodes.clear();
        iter.fallback = Some((list.head.as_deref().unwrap(), 0));
        assert_eq!(iter.copied().collect::<Vec<_>>(), [0, 1, 2, 3, 4, 5]);
    }
}
